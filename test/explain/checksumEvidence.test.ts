/** `bad_checksum` evidence: only for a bad checksum where the capture point is not the sender. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checksumEvidence } from '../../src/explain/checksumEvidence.js';

describe('checksumEvidence', () => {
  it('a RST with a bad TCP checksum seen away from its sender is evidence', () => {
    const e = checksumEvidence({ badChecksum: 2, checksum: 0x1234, sentByCapturePoint: false });
    assert.equal(e?.code, 'bad_checksum');
    assert.match(e?.detail ?? '', /TCP checksum \(0x1234\)/);
  });

  it('a bad IPv4 header checksum says so', () => {
    assert.match(checksumEvidence({ badChecksum: 1, checksum: 0, sentByCapturePoint: false })?.detail ?? '', /IPv4 header checksum/);
  });

  it('nothing when the capture point is the sender (offload) or the checksum is good', () => {
    assert.equal(checksumEvidence({ badChecksum: 2, checksum: 0x1234, sentByCapturePoint: true }), null);
    assert.equal(checksumEvidence({ badChecksum: 0, checksum: 0x1234, sentByCapturePoint: false }), null);
  });
});
