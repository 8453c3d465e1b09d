/** Test helpers of the PKI: throwaway certificates for loopback servers and users. */
export { loopbackServerCert, type LoopbackServerCert } from './loopback-server-cert.js';
export { userClientCert } from './client-cert.js';
