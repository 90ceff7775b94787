import type { Config } from '../config/config.js';

/** What a CLI command receives. Each command lives in src/cli/<name>.ts and default-exports a CliCommand. */
export interface CliContext {
  readonly config: Config;
  readonly stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  /** True when stderr is a terminal (progress bars only then). */
  readonly interactive: boolean;
}

export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}
