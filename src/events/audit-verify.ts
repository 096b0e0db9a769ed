import type { AuditLog } from '../storage/metadata-store.ts';
import { GENESIS_HASH, hashAuditRecord } from './audit-hash.ts';

export interface ChainVerdict {
  isValid: boolean;
  /** Records checked. */
  records: number;
  /** The head the log claims (audit_head): publish it elsewhere to detect a rewrite of the whole chain. */
  headSeq: number;
  headHash: string;
  /** The first record (by seq) that is wrong or missing, when not valid. */
  firstInvalidSeq?: number;
  problem?: string;
}

const PAGE = 1000;

/**
 * Walks the whole chain from seq 1 (docs/audit.md "Verifying"): every record's hash recomputed,
 * each prevHash equal to the previous record's hash, seqs without gaps, and the last record equal
 * to the head. An edited record fails its hash; a removed one leaves a gap and a broken link; one
 * cut from the end disagrees with the head.
 */
export async function verifyAuditChain(log: AuditLog): Promise<ChainVerdict> {
  const head = await log.head();
  const verdict = (records: number, firstInvalidSeq?: number, problem?: string): ChainVerdict => ({
    isValid: problem === undefined, records, headSeq: head.seq, headHash: head.hash,
    ...(problem === undefined ? {} : { firstInvalidSeq, problem }),
  });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const page = await log.range(expectedSeq - 1, PAGE);
    for (const record of page) {
      const checked = expectedSeq - 1;
      if (record.seq !== expectedSeq) return verdict(checked, expectedSeq, `record ${expectedSeq} is missing (next stored is ${record.seq})`);
      if (record.prevHash !== prevHash) return verdict(checked, record.seq, `record ${record.seq} does not link to the record before it`);
      if (hashAuditRecord(record) !== record.hash) return verdict(checked, record.seq, `record ${record.seq} was changed after it was written (its hash does not match)`);
      prevHash = record.hash;
      expectedSeq += 1;
    }
    if (page.length < PAGE) break;
  }
  const checked = expectedSeq - 1;
  if (checked !== head.seq || prevHash !== head.hash) {
    return verdict(checked, checked + 1, `the log ends at record ${checked} but its head names record ${head.seq}: records were removed from the end`);
  }
  return verdict(checked);
}
