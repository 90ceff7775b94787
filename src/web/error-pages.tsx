import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { Layout } from './layout.js';
import { sendPage } from './render.js';

/**
 * The HTML surfaces' error and not-found pages. Their own module, so the portal and
 * admin route files need not import the plugin that registers them (no import cycle).
 */
export function errorPage(services: Services, err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const csrf = err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET';
  const status = csrf ? 403 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status >= 500) services.logger.error({ err, url: req.url.split('?')[0] }, 'page failed');
  const message = csrf
    ? 'This form has expired or did not come from this site. Go back, reload the page and try again.'
    : status === 404
      ? 'This page does not exist.'
      : status < 500
        ? 'The request could not be processed.'
        : 'Something went wrong on our side. Please try again.';
  const area = req.url.startsWith('/admin') ? 'admin' : 'portal';
  return sendPage(
    reply,
    <Layout title={csrf ? 'Form expired' : 'Error'} area={area}>
      <div class="card narrow">
        <h1>{csrf ? 'Form expired' : status === 404 ? 'Not found' : 'Sorry'}</h1>
        <p>{message}</p>
        <p>
          <a href={`/${area}/`}>Go to the start page</a>
        </p>
      </div>
    </Layout>,
    status,
  );
}

/** 404 page for unknown paths under a surface's prefix. */
export function notFoundPage(area: string) {
  return (_req: FastifyRequest, reply: FastifyReply) =>
    sendPage(
      reply,
      <Layout title="Not found" area={area}>
        <div class="card narrow">
          <h1>Not found</h1>
          <p>This page does not exist.</p>
          <p>
            <a href={`/${area}/`}>Go to the start page</a>
          </p>
        </div>
      </Layout>,
      404,
    );
}
