#!/usr/bin/python3
"""Drives one FTP server with Python's ftplib and prints a JSON report (used by peers.test.ts).

usage: ftplib_probe.py '{"port": 2121, "user": "u", "password": "p", "tls": false|"explicit"}'

Every check is independent: a failing one is reported as {"error": "..."} and the next one runs.
For FTPS the data connections reuse the control connection's TLS session (stock FTP_TLS does not,
and vsftpd and ProFTPD refuse that by default).
"""

import ftplib
import io
import json
import ssl
import sys

from ftplib_tls import ReuseFTP_TLS


def connect(cfg, passive=True):
    if cfg.get("tls") == "explicit":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ftp = ReuseFTP_TLS(context=ctx, timeout=15)
        ftp.connect("127.0.0.1", cfg["port"])
        ftp.auth()
        ftp.login(cfg["user"], cfg["password"])
        ftp.prot_p()
    else:
        ftp = ftplib.FTP(timeout=15, encoding="utf-8")
        ftp.connect("127.0.0.1", cfg["port"])
        ftp.login(cfg["user"], cfg["password"])
    ftp.encoding = "utf-8"
    ftp.set_pasv(passive)
    return ftp


def retr(ftp, name, rest=None):
    buf = io.BytesIO()
    ftp.retrbinary("RETR " + name, buf.write, rest=rest)
    return buf.getvalue()


def check(report, key, fn):
    try:
        report[key] = fn()
    except Exception as e:  # noqa: BLE001 - reported, not raised
        report[key] = {"error": "%s: %s" % (type(e).__name__, e)}


def main():
    cfg = json.loads(sys.argv[1])
    report = {}
    ftp = connect(cfg)

    def feat():
        try:
            return ftp.sendcmd("FEAT").splitlines()
        except ftplib.error_perm as e:
            return {"error": str(e)}

    check(report, "feat", feat)

    def opts_utf8():
        try:
            return ftp.sendcmd("OPTS UTF8 ON")
        except ftplib.Error as e:
            return str(e)

    check(report, "optsUtf8", opts_utf8)

    def utf8_name():
        name = "ünï 名 ✓.txt"
        data = name.encode("utf-8") * 10
        ftp.storbinary("STOR " + name, io.BytesIO(data))
        listed = name in ftp.nlst()
        back = retr(ftp, name)
        return {"listed": listed, "roundTrip": back == data}

    check(report, "utf8Name", utf8_name)

    def mlsd():
        return sorted(n for n, _facts in ftp.mlsd())

    check(report, "mlsd", mlsd)

    def rest():
        ftp.storbinary("STOR rest.bin", io.BytesIO(b"0123456789"))
        return retr(ftp, "rest.bin", rest=4).decode()

    check(report, "rest", rest)

    def ascii_download():
        ftp.storbinary("STOR ascii.txt", io.BytesIO(b"a\nb\n"))
        ftp.voidcmd("TYPE A")
        conn = ftp.transfercmd("RETR ascii.txt")
        chunks = []
        while True:
            b = conn.recv(8192)
            if not b:
                break
            chunks.append(b)
        if isinstance(conn, ssl.SSLSocket):
            try:
                conn.unwrap()
            except (OSError, ValueError):
                pass
        conn.close()
        ftp.voidresp()
        ftp.voidcmd("TYPE I")
        return b"".join(chunks).decode()

    check(report, "asciiDownload", ascii_download)

    def active():
        act = connect(cfg, passive=False)
        try:
            data = bytes(range(256)) * 64
            act.storbinary("STOR active.bin", io.BytesIO(data))
            back = retr(act, "active.bin")
            names = act.nlst()
            return {"roundTrip": back == data, "listed": "active.bin" in names}
        finally:
            act.close()

    check(report, "active", active)

    try:
        ftp.quit()
    except Exception:  # noqa: BLE001
        ftp.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
