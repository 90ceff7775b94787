import { arr, humanName, obj, str } from '../portal/fhir-text.js';
import type { Resource } from '../fhir/store/types.js';

/** A Patient resource as the admin pages show it. */
export interface PatientSummary {
  id: string;
  name: string;
  birthDate?: string;
  gender?: string;
  identifiers: string[];
  telecom: string[];
  address?: string;
}

export function summarizePatient(p: Resource): PatientSummary {
  const address = obj(arr(p.address)[0]);
  return {
    id: p.id ?? '',
    name: humanName(p.name) ?? '(no name)',
    birthDate: str(p.birthDate),
    gender: str(p.gender),
    identifiers: arr(p.identifier)
      .map(obj)
      .filter(Boolean)
      .map((i) => {
        const type = str(obj(i!.type)?.text) ?? str(obj(arr(obj(i!.type)?.coding)[0])?.code);
        return `${type ? `${type}: ` : ''}${str(i!.value) ?? ''}${str(i!.system) ? ` (${str(i!.system)})` : ''}`;
      })
      .slice(0, 6),
    telecom: arr(p.telecom).map(obj).map((t) => str(t?.value)).filter((v): v is string => Boolean(v)).slice(0, 4),
    address: address
      ? [...arr(address.line).filter((l): l is string => typeof l === 'string'), str(address.city), str(address.state), str(address.postalCode)].filter(Boolean).join(', ')
      : undefined,
  };
}
