/**
 * Can the lab run here? Linux, root, and every tool the chosen scenarios need. Each answer is
 * one line naming what is missing and the Debian package that brings it.
 */
import { constants, accessSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { labEnv, runCommand } from './exec.js';
import type { Tool } from './scenario.js';

/** Whether `command` can be executed (absolute path, or found on PATH). */
export function commandExists(command: string, path = labEnv().PATH ?? ''): boolean {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).map((d) => join(d, command));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Unique tools by package, in first-seen order. */
export function distinctTools(tools: readonly Tool[]): Tool[] {
  const seen = new Set<string>();
  return tools.filter((t) => {
    const key = `${t.command}|${t.debianPackage}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The first reason the lab cannot run, as one line, or null when it can. */
export async function preflight(tools: readonly Tool[]): Promise<string | null> {
  if (process.platform !== 'linux') return `whyreset lab needs Linux network namespaces (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'whyreset lab needs root to create network namespaces: run it with sudo';
  }
  for (const tool of distinctTools(tools)) {
    if (!commandExists(tool.command)) {
      return `whyreset lab needs ${tool.command}: apt-get install ${tool.debianPackage}`;
    }
    if (tool.debianPackage === 'python3-scapy') {
      const r = await runCommand(tool.command, ['-c', 'import scapy.all'], { timeoutMs: 20_000 });
      if (r.code !== 0) return `whyreset lab needs scapy for ${tool.command}: apt-get install python3-scapy`;
    }
  }
  return null;
}
