/**
 * zod, configured once for the engine. `jitless`: zod 4 compiles each object schema with
 * `new Function` on first use, which costs far more than it saves when a command validates a
 * few hundred small objects once (half a second of start-up on the shipped project).
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
