import { createInterface } from 'node:readline';

/**
 * Reads a password from the terminal without echoing it. Only on a TTY; otherwise
 * callers must take the password from a flag (a script piping one in would be a surprise).
 */
export async function promptHidden(prompt: string): Promise<string | undefined> {
  const input = process.stdin;
  if (!input.isTTY) return undefined;
  const rl = createInterface({ input, output: process.stderr, terminal: true });
  // Echo nothing while the user types (readline writes through _writeToOutput).
  const internal = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write(prompt);
  internal._writeToOutput = () => undefined;
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
