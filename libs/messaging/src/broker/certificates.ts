import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. The key is a secret: written with mode 0600, never logged. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** The broker's private PKI: a CA, the server's certificate, and one client certificate per principal. */
export interface BrokerPki {
  ca: PemPair;
  server: PemPair;
  clients: Map<string, PemPair>;
}

function pemKey(pkcs8: ArrayBuffer): string {
  const b64 = Buffer.from(pkcs8).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

const serial = () =>
  randomBytes(16)
    .toString('hex')
    .replace(/^[89a-f]/, '1');

export interface BrokerPkiOptions {
  /** Host names and IP addresses the server certificate is valid for (default: localhost and 127.0.0.1). */
  serverNames?: string[];
  /** Principals that get a client certificate (CN = principal) for mutual TLS. */
  principals: readonly string[];
  /** Validity in days (default 825, the longest that clients commonly accept). */
  validityDays?: number;
}

/**
 * Makes a private CA (ECDSA P-256) and signs with it the broker's server certificate and a client
 * certificate per principal. The CA's key is only needed to issue more certificates; keep it offline.
 */
export async function createBrokerPki(o: BrokerPkiOptions): Promise<BrokerPki> {
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + (o.validityDays ?? 825) * DAY_MS);
  const caKeys = await keyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=MSX broker CA, O=MSX',
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const issue = async (cn: string, usage: 'server' | 'client', names: string[] = []): Promise<PemPair> => {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}, O=MSX`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([
          usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ...(names.length
          ? [
              new x509.SubjectAlternativeNameExtension(
                names.map((n) =>
                  isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n },
                ),
              ),
            ]
          : []),
      ],
    });
    return {
      certPem: cert.toString('pem') + '\n',
      keyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    };
  };
  const serverNames = o.serverNames ?? ['localhost', '127.0.0.1'];
  const clients = new Map<string, PemPair>();
  for (const p of o.principals) clients.set(p, await issue(p, 'client'));
  return {
    ca: {
      certPem: caCert.toString('pem') + '\n',
      keyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', caKeys.privateKey)),
    },
    server: await issue(serverNames[0], 'server', serverNames),
    clients,
  };
}
