/**
 * The two certificate facts node's X509Certificate does not expose: the signature algorithm and
 * the subject common name as a raw value (its `subject` string escapes some characters).
 * A minimal DER walk over Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }.
 */

interface Tlv {
  tag: number;
  /** Offset of the contents. */
  start: number;
  end: number;
}

function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = der[start + i];
      if (lengthByte === undefined) throw new Error('truncated DER');
      length = length * 256 + lengthByte;
    }
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start, end };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.start; pos < parent.end; ) {
    const tlv = readTlv(der, pos, parent.end);
    out.push(tlv);
    pos = tlv.end;
  }
  return out;
}

function oidString(bytes: Buffer): string {
  const first = bytes[0] ?? 0;
  const parts = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let value = 0;
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

export interface CertificateNames {
  /** Dotted OID of the outer signatureAlgorithm. */
  signatureAlgorithm: string;
  /** The last subject CN, as Go's pkix.Name.CommonName takes it; undefined without one. */
  commonName: string | undefined;
}

/** Reads the signature algorithm OID and subject CN from a DER certificate; throws on malformed DER. */
export function certificateNames(der: Buffer): CertificateNames {
  const cert = readTlv(der, 0, der.length);
  const [tbs, sigAlg] = children(der, cert);
  if (!tbs || !sigAlg) throw new Error('not a certificate');
  const oid = children(der, sigAlg)[0];
  if (!oid || oid.tag !== 0x06) throw new Error('no signature algorithm');
  const fields = children(der, tbs);
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const subject = rest[4]; // serialNumber, signature, issuer, validity, subject
  if (!subject) throw new Error('no subject');
  let commonName: string | undefined;
  for (const rdn of children(der, subject)) {
    for (const attribute of children(der, rdn)) {
      const [type, value] = children(der, attribute);
      if (type && value && oidString(der.subarray(type.start, type.end)) === '2.5.4.3') {
        const raw = Buffer.from(der.subarray(value.start, value.end));
        // BMPString (0x1e) is big-endian UTF-16; the string types clients write are UTF-8 compatible.
        commonName = value.tag === 0x1e && raw.length % 2 === 0 ? raw.swap16().toString('utf16le') : raw.toString('utf8');
      }
    }
  }
  return { signatureAlgorithm: oidString(der.subarray(oid.start, oid.end)), commonName };
}
