import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { registerApp, removeApp } from '../oauth/app-admin.js';
import { ClientError, type ClientType } from '../oauth/clients.js';
import type { Services } from '../services.js';
import { noStore, sendPage } from '../web/render.js';
import { field, query } from '../web/session.js';
import { requireStaff } from './current.js';
import { AppRegisteredPage, AppsPage, ConfirmRemoveAppPage, EMPTY_APP_FORM, TYPE_LABELS, type AppForm } from './views/apps-page.js';

type Req = FastifyRequest<{ Params: { clientId: string } }>;

const TOASTS: Record<string, string> = { removed: 'The app was removed; every access patients gave it has ended.' };

/** /admin/apps: list, register (secret shown once), remove. Staff only; every change audited. */
export async function appRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services } = opts;

  app.get('/', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const toast = TOASTS[query(req, 'done')];
    return sendPage(reply, <AppsPage csrf={reply.generateCsrf()} who={staff.username} apps={await services.oauth.clients.list()} form={EMPTY_APP_FORM} toast={toast} />);
  });

  app.post('/', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const form = readForm(req.body);
    try {
      if (!Object.hasOwn(TYPE_LABELS, form.type)) throw new ClientError('Choose the type of app');
      const { client, clientSecret } = await registerApp(
        services,
        {
          name: form.name,
          type: form.type,
          redirectUris: form.redirectUris.split(/\r?\n/).map((l) => l.trim()).filter(Boolean),
          jwksUrl: form.jwksUrl.trim() || undefined,
          jwks: form.jwks.trim() || undefined,
          scope: form.scope.trim() || undefined,
        },
        { kind: 'staff', id: staff.id, ip: req.ip },
      );
      // The secret's only appearance: this response, never stored by the browser; no URL shows it again.
      noStore(reply);
      return sendPage(reply, <AppRegisteredPage csrf={reply.generateCsrf()} who={staff.username} client={client} clientSecret={clientSecret} />);
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      const apps = await services.oauth.clients.list();
      return sendPage(reply, <AppsPage csrf={reply.generateCsrf()} who={staff.username} apps={apps} form={form} error={err.message} />, 400);
    }
  });

  app.get('/:clientId/remove', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const client = (await services.oauth.clients.list()).find((c) => c.clientId === req.params.clientId);
    if (!client) return reply.redirect('/admin/apps', 303);
    return sendPage(reply, <ConfirmRemoveAppPage csrf={reply.generateCsrf()} who={staff.username} client={client} />);
  });

  app.post('/:clientId/remove', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const removed = await removeApp(services, req.params.clientId, { kind: 'staff', id: staff.id, ip: req.ip });
    return reply.redirect(removed ? '/admin/apps?done=removed' : '/admin/apps', 303);
  });
}

/** The register form's fields, bounded (hostile input: kept only to show the form again). */
function readForm(body: unknown): AppForm {
  return {
    name: field(body, 'name').slice(0, 200),
    type: field(body, 'type') as ClientType,
    redirectUris: field(body, 'redirectUris').slice(0, 22_000),
    jwksUrl: field(body, 'jwksUrl').slice(0, 2100),
    jwks: field(body, 'jwks').slice(0, 32_000),
    scope: field(body, 'scope').slice(0, 2100),
  };
}
