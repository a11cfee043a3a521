/**
 * X-Instance-ID-Signature: hex HMAC-SHA256 of the instance id, keyed with
 * metadata_proxy_shared_secret, both UTF-8 (Neutron's _sign_instance_id; Nova
 * recomputes it and answers 403 on a mismatch). The secret stays in this closure:
 * nothing else in the agent holds it, so nothing can log it by accident.
 */
import { createHmac } from 'node:crypto';

export type Signer = (instanceId: string) => string;

export function instanceSigner(secret: string): Signer {
  const key = Buffer.from(secret, 'utf8');
  return (instanceId) => createHmac('sha256', key).update(instanceId, 'utf8').digest('hex');
}
