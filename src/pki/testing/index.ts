/** Test helpers of the PKI: throwaway certificates for loopback servers. */
export { loopbackServerCert, type LoopbackServerCert } from './loopback-server-cert.js';
