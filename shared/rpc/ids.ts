import { randomUUID } from 'node:crypto';

/** uuid4().hex as oslo makes them: 32 lowercase hex digits, no dashes. */
export function uuidHex(): string {
  return randomUUID().replace(/-/g, '');
}
