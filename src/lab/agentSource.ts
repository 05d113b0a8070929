/**
 * Where the lab's Python agent is: agent.py (modes and step language described at its top),
 * shipped in the package beside the sources (package.json `files`) and found relative to this
 * module, which runs from dist/src/lab/ both in the repository and in the installed package.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of agent.py: <package>/src/lab/agent.py, from <package>/dist/src/lab/agentSource.js. */
export const AGENT_PY_PATH = fileURLToPath(new URL('../../../src/lab/agent.py', import.meta.url));

/** The agent's Python source. */
export function agentSource(): string {
  return readFileSync(AGENT_PY_PATH, 'utf8');
}
