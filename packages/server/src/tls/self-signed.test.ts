import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateSelfSignedCertificate, SELF_SIGNED_SUBJECT } from "./self-signed.js";

describe("generateSelfSignedCertificate (in-process DER, RFC 5280)", () => {
  it("makes a P-256 certificate that parses, verifies itself and matches its key", () => {
    const now = new Date("2030-01-02T03:04:05Z");
    const pem = generateSelfSignedCertificate({ now, days: 30 });
    const cert = new X509Certificate(pem.cert);
    expect(cert.subject).toBe(`CN=${SELF_SIGNED_SUBJECT}`);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(pem.key))).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 3600_000);
    expect(new Date(cert.validTo).getTime()).toBe(now.getTime() + 30 * 86_400_000);
    expect(pem.validTo).toEqual(new Date(cert.validTo));
    expect(pem.fingerprint256).toBe(cert.fingerprint256);
    expect(cert.ca).toBe(true);
    expect(cert.serialNumber).toMatch(/^[0-9A-F]{32}$/);
  });

  it("names localhost and the loopback addresses, plus the hosts given", () => {
    const cert = new X509Certificate(
      generateSelfSignedCertificate({
        hosts: ["ftp.example.test", "192.0.2.7", "2001:db8::1", "::ffff:10.0.0.1", "0.0.0.0", "::"],
      }).cert,
    );
    expect(cert.subjectAltName).toBe(
      "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:ftp.example.test, IP Address:192.0.2.7, " +
        "IP Address:2001:DB8:0:0:0:0:0:1, IP Address:0:0:0:0:0:FFFF:A00:1",
    );
    expect(cert.checkHost("ftp.example.test")).toBe("ftp.example.test");
    expect(cert.checkIP("192.0.2.7")).toBe("192.0.2.7");
    expect(cert.checkIP("::1")).toBe("::1");
  });

  it("switches to GeneralizedTime after 2049 and gives every certificate a new key and serial", () => {
    const late = new X509Certificate(generateSelfSignedCertificate({ now: new Date("2049-12-01T00:00:00Z") }).cert);
    expect(new Date(late.validTo).getUTCFullYear()).toBe(2050);
    const a = generateSelfSignedCertificate();
    const b = generateSelfSignedCertificate();
    expect(a.key).not.toBe(b.key);
    expect(new X509Certificate(a.cert).serialNumber).not.toBe(new X509Certificate(b.cert).serialNumber);
  });
});
