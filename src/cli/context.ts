import { createServices, type ServiceOptions, type Services } from '../services.js';
import type { CliContext } from './types.js';

/** Builds the services from the command's config, runs `fn`, and always closes them. */
export async function withServices<T>(ctx: CliContext, fn: (services: Services) => Promise<T>, options: ServiceOptions = {}): Promise<T> {
  const services = await createServices(ctx.config, options);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}
