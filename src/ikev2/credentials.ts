/**
 * The credentials type lives in src/ike/credentials.ts, shared with IKEv1; re-exported here
 * for the IKEv2 modules that import it from this path.
 */
export { type IkeCredentials, NO_CREDENTIALS } from '../ike/credentials.js';
