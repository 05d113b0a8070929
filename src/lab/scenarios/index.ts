/**
 * Every scenario of the lab, in the order `whyreset lab` runs them (quick, core ones first).
 */
import type { Scenario } from '../scenario.js';
import { acceptOverflow } from './acceptOverflow.js';
import { appAbortLinger, appAbortUnread } from './appAbort.js';
import { closedPort } from './closedPort.js';
import { firewallRejectIptables, firewallRejectMidstream, firewallRejectNftables, firewallRejectServer } from './firewall.js';
import { middleboxInjection, middleboxInjectionCopiedTtl, middleboxInjectionSpoofedTtl } from './injection.js';
import { closedPortV6, firewallRejectV6 } from './ipv6.js';
import { backscatterSynAck, listenerClosedQueued, listenerUnknownAck } from './listener.js';
import { malformedSyn } from './malformedSyn.js';
import { nmapConnectScan, nmapSynScan } from './scans.js';
import { afterReset, dataAfterClose, fastClose } from './teardown.js';
import { timeWaitReuse } from './timeWait.js';
import { idleTimeoutConntrack, idleTimeoutReaper, retransmissionTimeout } from './timeouts.js';

/** All scenarios, in run order. */
export const SCENARIOS: readonly Scenario[] = [
  closedPort,
  firewallRejectIptables,
  firewallRejectNftables,
  firewallRejectServer,
  firewallRejectMidstream,
  appAbortLinger,
  appAbortUnread,
  fastClose,
  dataAfterClose,
  afterReset,
  malformedSyn,
  nmapSynScan,
  nmapConnectScan,
  middleboxInjection,
  middleboxInjectionSpoofedTtl,
  middleboxInjectionCopiedTtl,
  closedPortV6,
  firewallRejectV6,
  timeWaitReuse,
  acceptOverflow,
  listenerClosedQueued,
  listenerUnknownAck,
  backscatterSynAck,
  idleTimeoutReaper,
  idleTimeoutConntrack,
  retransmissionTimeout,
];

/** The scenario called `name`, or undefined. */
export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
