import type { FastifyInstance } from 'fastify';
import { CredentialError } from '../auth/credentials.js';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { noStore, sendPage } from '../web/render.js';
import { field, query } from '../web/session.js';
import { ClientError, checkRedirectUri } from '../oauth/clients.js';
import { revokeGrant } from '../oauth/app-admin.js';
import { displayName, requirePatient } from './current.js';
import { readHistory } from './history-service.js';
import { ConfirmRevokeAppPage, MAX_REDIRECT_URIS, redirectUriLines } from './views/app-pages.js';
import { choicesFromForm, defaultChoices, toCredentialChoices } from './credential-choices.js';
import { ConfirmDeletePage, NewCredentialPage, RevealPage } from './views/credential-pages.js';
import { HistoryPage } from './views/history-page.js';

/** My History and the FHIR API Access flow of the seed (generate → name → reveal → list → delete). */
export async function portalHistoryRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services, config } = opts;
  const { credentials } = services;

  app.get('/history', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const [record, list, apps, notices] = await Promise.all([
      readHistory(services.db, account.patientId), credentials.list(account.patientId), services.oauth.grants.listForPatient(account.patientId), services.notices.active(account.patientId),
    ]);
    const items = await Promise.all(
      list.map(async (credential) => ({ credential, recent: await services.accessLog.recent(credential.id, 10), redirectUris: (await credentials.asClient(credential.key))?.redirectUris })),
    );
    const toast = query(req, 'deleted') === '1' ? 'The credentials were deleted.' : query(req, 'removed') === '1' ? 'The app no longer has access to your record.' : undefined;
    // The list changes as credentials are created and used: never serve it from a cache.
    noStore(reply);
    return sendPage(reply, <HistoryPage csrf={reply.generateCsrf()} who={displayName(account)} record={record} notices={notices} credentials={items} publicUrl={config.publicUrl} toast={toast} apps={apps} />);
  });

  app.get('/credentials/new', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const { credentialMaxDays } = await services.portal.settings.get();
    return sendPage(reply, <NewCredentialPage csrf={reply.generateCsrf()} who={displayName(account)} choices={defaultChoices(credentialMaxDays)} maxDays={credentialMaxDays} />);
  });

  app.post('/credentials', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const name = field(req.body, 'name');
    const redirectText = field(req.body, 'redirectUris');
    const { credentialMaxDays } = await services.portal.settings.get();
    const choices = choicesFromForm(req.body, credentialMaxDays);
    try {
      const redirectUris = [...new Set(redirectUriLines(redirectText).map(checkRedirectUri))];
      if (redirectUris.length > MAX_REDIRECT_URIS) throw new ClientError(`At most ${MAX_REDIRECT_URIS} redirect URIs.`);
      const chosen = toCredentialChoices(choices, credentialMaxDays);
      const { credential, key, secret } = await credentials.create(account.patientId, account.id, name, redirectUris, chosen);
      await services.audit.record({
        actorKind: 'patient', actorId: account.id, action: 'credential.create', patientId: account.patientId, credentialId: credential.id, ip: req.ip,
        detail: { name: credential.name, categories: choices.categories.length, sensitive: chosen.includeSensitive ?? false, expiresAt: credential.expiresAt },
      });
      await services.notices.credentialCreated({ patientId: account.patientId, subjectId: credential.id, name: credential.name, kind: 'credential' });
      // The reveal is this POST's own response: there is no URL that shows the values again.
      noStore(reply);
      return sendPage(reply, <RevealPage csrf={reply.generateCsrf()} who={displayName(account)} name={credential.name} keyValue={key} secret={secret} publicUrl={config.publicUrl} />);
    } catch (err) {
      if (!(err instanceof CredentialError || err instanceof ClientError)) throw err;
      return sendPage(
        reply,
        <NewCredentialPage csrf={reply.generateCsrf()} who={displayName(account)} error={err.message} name={name.slice(0, 200)} redirectUris={redirectText.slice(0, MAX_REDIRECT_URIS * 2100)} choices={choices} maxDays={credentialMaxDays} />,
        400,
      );
    }
  });

  app.get<{ Params: { id: string } }>('/credentials/:id/delete', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const credential = await credentials.get(req.params.id);
    if (!credential || credential.patientId !== account.patientId) return reply.redirect('/portal/history#fhir-api-access', 303);
    return sendPage(reply, <ConfirmDeletePage csrf={reply.generateCsrf()} who={displayName(account)} id={credential.id} name={credential.name} />);
  });

  app.post<{ Params: { id: string } }>('/credentials/:id/delete', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    // Only the owner's credential can match (revoke checks the patient id).
    const revoked = await credentials.revoke(req.params.id, `patient:${account.id}`, account.patientId);
    if (revoked) {
      await services.audit.record({
        actorKind: 'patient', actorId: account.id, action: 'credential.delete', patientId: account.patientId, credentialId: revoked.id, ip: req.ip, detail: { name: revoked.name },
      });
    }
    return reply.redirect(`/portal/history?deleted=${revoked ? 1 : 0}#fhir-api-access`, 303);
  });

  // Connected apps (SMART grants): the trash icon leads here without JavaScript; with it, the confirm dialog posts.
  app.get<{ Params: { id: string } }>('/apps/:id/revoke', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const grant = (await services.oauth.grants.listForPatient(account.patientId)).find((g) => g.id === req.params.id);
    if (!grant) return reply.redirect('/portal/history#fhir-api-access', 303);
    return sendPage(reply, <ConfirmRevokeAppPage csrf={reply.generateCsrf()} who={displayName(account)} id={grant.id} name={grant.clientName} />);
  });

  app.post<{ Params: { id: string } }>('/apps/:id/revoke', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    // Only the patient's own grant can match; its access and refresh tokens die on their next use.
    const revoked = await revokeGrant(services, { grantId: req.params.id, patientId: account.patientId }, { kind: 'patient', id: account.id, ip: req.ip });
    return reply.redirect(`/portal/history?removed=${revoked ? 1 : 0}#fhir-api-access`, 303);
  });
}
