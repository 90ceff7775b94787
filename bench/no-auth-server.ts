/**
 * Measurement aid, never part of the product: ChartKey with the authentication step
 * replaced by a fixed principal for one patient, so the bench can show what a Patient
 * read costs without it, side by side with the real server in the same run (issue: "the
 * same read without the auth step"). Usage: tsx bench/no-auth-server.ts PORT PATIENT_ID
 * with DATABASE_URL in the environment.
 */
import { buildApp } from '../src/app.js';
import type { Principal } from '../src/auth/principal.js';
import { loadConfig } from '../src/config/config.js';
import { patientScope } from '../src/fhir/scope.js';
import { createServices } from '../src/services.js';

const [port, patientId] = process.argv.slice(2);
const config = loadConfig(process.env, { port: Number(port), demo: false, logLevel: 'warn' });
const services = await createServices(config);
const principal: Principal = { kind: 'patient', patientId, credentialId: 'bench-no-auth', subjectKind: 'credential', scope: patientScope(patientId), grantedScopes: 'patient/*.rs' };
const app = await buildApp(config, { ...services, authenticate: async () => principal });
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write('ready\n');
