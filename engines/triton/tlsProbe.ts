/**
 * One TLS connection to the Triton server before the gRPC channel is built, with a deadline. grpc-js
 * has no handshake timeout (a server that accepts TCP and never answers TLS holds its socket open
 * for good) and reports a bad certificate as a retried UNAVAILABLE; the probe gives each of these
 * a deadline and a one-line reason: the certificate problems (untrusted CA, wrong host name,
 * expired) are the user's configuration (ConfigError), an unreachable server an EngineError.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { ConfigError } from '../../core/errors';
import { EngineError } from '../../core/pipeline/engine';

/** The TLS identity material of the connection. */
export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Where to probe: `host` without brackets, the port, and the URL as the user gave it (for messages). */
export interface TlsProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

/** The HTTP/2 client preface and an empty SETTINGS frame: the server answers with its own SETTINGS. */
const HTTP2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);

const date = (text: string | undefined) => (text ? new Date(text).toISOString().slice(0, 10) : 'unknown');

/** The ConfigError of a server certificate this client does not accept (`code` is OpenSSL's or Node's). */
export function certificateError(code: string, url: string, host: string, cert: Partial<PeerCertificate> | undefined): ConfigError {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ConfigError('wrong-host-name', url, `the server certificate is for ${cert?.subjectaltname || `CN=${cert?.subject?.CN ?? '?'}`}, not ${host}`);
  }
  if (code === 'CERT_HAS_EXPIRED') return new ConfigError('certificate-expired', url, `the server certificate expired on ${date(cert?.valid_to)}`);
  if (code === 'CERT_NOT_YET_VALID') return new ConfigError('certificate-not-yet-valid', url, `the server certificate is not valid before ${date(cert?.valid_from)}`);
  if (UNTRUSTED.has(code)) return new ConfigError('untrusted-certificate', url, `the server certificate is not signed by the CA bundle given (${code}); check --ca`);
  return new ConfigError('bad-certificate', url, `the server certificate was refused (${code})`);
}

/** The error of a failed connection or handshake (the socket's `error` event). */
export function connectionError(error: NodeJS.ErrnoException, url: string): ConfigError | EngineError {
  const code = error.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ConfigError('unknown-host', url, 'the host name does not resolve');
  if (/CERTIFICATE_REQUIRED/.test(code)) return new ConfigError('client-certificate-required', url, 'the server requires a client certificate (--client-cert, --client-key)');
  if (/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED)/.test(code)) {
    return new ConfigError('client-certificate-refused', url, `the server refused the client certificate (${code})`);
  }
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG/.test(code)) return new ConfigError('not-tls', url, `the server does not speak TLS on this port (${code})`);
  if (code === 'ECONNREFUSED') return new EngineError('unavailable', `Triton at ${url}: connection refused`);
  return new EngineError('unavailable', `Triton at ${url}: ${code || error.message}`);
}

/**
 * Connects to `target`, verifies the server certificate against `material.ca` and the host name,
 * exchanges the HTTP/2 preface, and closes — all within `deadlineMs`. Resolves when the server is
 * a TLS HTTP/2 server this client would trust; otherwise rejects with a ConfigError (certificate,
 * host name, client certificate, not TLS) or an EngineError (refused, reset, timed out).
 */
export function probeTls(target: TlsProbeTarget, material: TlsMaterial, deadlineMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let socket: TLSSocket | undefined;
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      error ? reject(error) : resolve();
    };
    const timer = setTimeout(
      () =>
        finish(
          new EngineError(
            'tls-timeout',
            `Triton at ${target.url}: no TLS/HTTP2 answer within ${deadlineMs} ms (the server accepts connections but does not complete the handshake)`,
          ),
        ),
      deadlineMs,
    );
    try {
      socket = connect({
        host: target.host,
        port: target.port,
        ca: material.ca,
        ...(material.cert && material.key ? { cert: material.cert, key: material.key } : {}),
        ...(isIP(target.host) ? {} : { servername: target.host }),
        ALPNProtocols: ['h2'],
        // Verified below, so a refusal can say why (expired, wrong name, untrusted) and when.
        rejectUnauthorized: false,
      });
    } catch (error) {
      finish(new ConfigError('bad-tls-material', target.url, `cannot use the CA bundle or client certificate: ${(error as Error).message}`));
      return;
    }
    socket.once('secureConnect', () => {
      const s = socket as TLSSocket;
      const cert = s.getPeerCertificate();
      if (!s.authorized) {
        const reason = s.authorizationError as unknown as (Error & { code?: string }) | string | null;
        const code = typeof reason === 'string' ? reason : (reason?.code ?? reason?.message ?? 'unknown');
        finish(certificateError(code, target.url, target.host, cert));
        return;
      }
      if (checkServerIdentity(target.host, cert)) {
        finish(certificateError('ERR_TLS_CERT_ALTNAME_INVALID', target.url, target.host, cert));
        return;
      }
      s.write(HTTP2_PREFACE);
    });
    socket.once('data', () => finish());
    socket.once('error', (error: NodeJS.ErrnoException) => finish(connectionError(error, target.url)));
    socket.once('close', () => finish(new EngineError('unavailable', `Triton at ${target.url}: the server closed the connection during the handshake`)));
  });
}
