/**
 * The pki area's errors. Each names what is wrong with its input and never echoes the input itself: a
 * CSR, certificate or join token may be hostile (huge) or secret (a token), and these messages reach
 * logs and HTTP answers.
 */
import { BadRequestError } from '../api/index.js';

/** A certificate signing request is malformed, too large, unsigned or badly signed. */
export class InvalidCsrError extends BadRequestError {}

/** A PEM certificate (or CA bundle) is malformed, too large or not what was asked for. */
export class InvalidCertificateError extends BadRequestError {}

/** A key is malformed or of an unsupported type. */
export class InvalidKeyError extends BadRequestError {}

/** A join token is malformed (the message names the defect, never the token). */
export class InvalidJoinTokenError extends BadRequestError {}
