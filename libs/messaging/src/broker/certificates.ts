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
  /** The cluster's route PKI, when the broker is a cluster ({@link BrokerPkiOptions.routeServers}). */
  routes?: RoutePki;
}

/**
 * The TLS of a cluster's routes: a CA of its own, and per server one certificate that it presents both when
 * it accepts a route and when it opens one. A CA apart from the clients' is what keeps a party out of the
 * route port: a party's client certificate, signed by the broker CA, is no certificate of this one.
 */
export interface RoutePki {
  ca: PemPair;
  /** By server name. */
  servers: Map<string, PemPair>;
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
  /** The servers of a cluster, each with the host names and addresses its routes are reached at. */
  routeServers?: ReadonlyArray<{ name: string; hosts: readonly string[] }>;
}

type Usage = 'server' | 'client';

/** A self-signed CA that may sign end-entity certificates only. */
async function certificateAuthority(
  cn: string,
  notBefore: Date,
  notAfter: Date,
): Promise<{ keys: CryptoKeyPair; cert: x509.X509Certificate }> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${cn}, O=MSX`,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, cert };
}

const pemOf = async (ca: { keys: CryptoKeyPair; cert: x509.X509Certificate }): Promise<PemPair> => ({
  certPem: ca.cert.toString('pem') + '\n',
  keyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', ca.keys.privateKey)),
});

/**
 * Makes a private CA (ECDSA P-256) and signs with it the broker's server certificate and a client
 * certificate per principal. The CA's key is only needed to issue more certificates; keep it offline.
 */
export async function createBrokerPki(o: BrokerPkiOptions): Promise<BrokerPki> {
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + (o.validityDays ?? 825) * DAY_MS);
  const issue = async (
    ca: { keys: CryptoKeyPair; cert: x509.X509Certificate },
    cn: string,
    usages: readonly Usage[],
    names: readonly string[] = [],
  ): Promise<PemPair> => {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}, O=MSX`,
      issuer: ca.cert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension(
          usages.map((u) =>
            u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
          ),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
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
  const ca = await certificateAuthority('MSX broker CA', notBefore, notAfter);
  const serverNames = o.serverNames ?? ['localhost', '127.0.0.1'];
  const clients = new Map<string, PemPair>();
  for (const p of o.principals) clients.set(p, await issue(ca, p, ['client']));
  let routes: RoutePki | undefined;
  if (o.routeServers?.length) {
    const routeCa = await certificateAuthority('MSX cluster route CA', notBefore, notAfter);
    const servers = new Map<string, PemPair>();
    // A route is opened by one server and accepted by another: each presents its certificate both ways.
    for (const r of o.routeServers)
      servers.set(
        r.name,
        await issue(routeCa, r.name, ['server', 'client'], [...new Set([r.name, ...r.hosts])]),
      );
    routes = { ca: await pemOf(routeCa), servers };
  }
  return {
    ca: await pemOf(ca),
    server: await issue(ca, serverNames[0], ['server'], serverNames),
    clients,
    ...(routes ? { routes } : {}),
  };
}
