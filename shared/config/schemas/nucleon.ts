/**
 * Nucleon's own section, `[nucleon]`, read from the same files (oslo ignores
 * unknown sections, so the Python agents never see it). Kept minimal:
 *
 * - `control_socket`: path of the agent's local control socket for the `nucleon`
 *   CLI. Unset (null) lets the agent choose `$state_path/nucleon/<agent>.sock`.
 *
 * Merge it into an agent schema with `mergeSchemas(DhcpAgentSchema, NucleonSchema)`.
 */
import { defineSchema } from '../schema.js';
import { strOpt } from '../types.js';

export const NucleonSchema = defineSchema({
  nucleon: {
    control_socket: strOpt(),
  },
});
