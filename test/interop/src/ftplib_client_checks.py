#!/usr/bin/python3
"""Drives an FTP server with Python's ftplib, the way applications use it, and prints a JSON
report of what it saw (used by server-interop.test.ts). Every check is independent: a failing
one is reported as {"error": "..."} and the next one runs.

usage: ftplib_client_checks.py '{"port": 2121, "user": "u", "password": "p", "tls": false, "workdir": "/tmp/x"}'

FTPS keys: "tls": "explicit" (AUTH TLS) or "implicit" (TLS before the greeting); "certFile" to
verify the server against; "tlsClient": "reuse" (default: data connections resume the control
connection's TLS session) or "stock" (Python's FTP_TLS as shipped, which never resumes);
"maxTls": "1.2" to cap the version; "only": ["passive", ...] to run some checks.
"""

import ftplib
import hashlib
import io
import json
import os
import socket
import ssl
import sys

from ftplib_tls import ReuseFTP_TLS


def implicit(base):
    """FTP_TLS for implicit FTPS: the TLS handshake before the greeting (ftplib has no such mode)."""

    class Implicit(base):
        def connect(self, host="", port=0, timeout=-999, source_address=None):
            self.host, self.port = host, port
            if timeout != -999:
                self.timeout = timeout
            raw = socket.create_connection((host, port), self.timeout)
            self.sock = self.context.wrap_socket(raw, server_hostname=host)
            self.af = self.sock.family
            self.file = self.sock.makefile("r", encoding=self.encoding)
            self.welcome = self.getresp()
            return self.welcome

    return Implicit


def connect(cfg, passive=True):
    if cfg.get("tls") in ("explicit", "implicit"):
        ctx = ssl.create_default_context(cafile=cfg.get("certFile"))
        ctx.check_hostname = False
        if not cfg.get("certFile"):
            ctx.verify_mode = ssl.CERT_NONE
        if cfg.get("maxTls") == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        base = ftplib.FTP_TLS if cfg.get("tlsClient") == "stock" else ReuseFTP_TLS
        if cfg["tls"] == "implicit":
            base = implicit(base)
        ftp = base(context=ctx, timeout=20, encoding="utf-8")
        ftp.connect("127.0.0.1", cfg["port"])
        if cfg["tls"] == "explicit":
            ftp.auth()
        ftp.login(cfg["user"], cfg["password"])
        ftp.prot_p()
    else:
        ftp = ftplib.FTP(timeout=20, encoding="utf-8")
        ftp.connect("127.0.0.1", cfg["port"])
        ftp.login(cfg["user"], cfg["password"])
    ftp.set_pasv(passive)
    return ftp


def sha(data):
    return hashlib.sha256(data).hexdigest()


def retr(ftp, name, rest=None):
    buf = io.BytesIO()
    ftp.retrbinary("RETR " + name, buf.write, rest=rest)
    return buf.getvalue()


def main():
    cfg = json.loads(sys.argv[1])
    work = cfg["workdir"]
    with open(os.path.join(work, "payload.bin"), "rb") as f:
        payload = f.read()
    report = {}

    def check(name, fn):
        try:
            report[name] = fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            report[name] = {"error": "%s: %s" % (type(e).__name__, e)}

    def login():
        ftp = connect(cfg)
        welcome = ftp.getwelcome()
        pwd = ftp.pwd()
        seen = {"welcome": welcome[:3], "pwd": pwd}
        if isinstance(ftp.sock, ssl.SSLSocket):
            seen["tls"] = ftp.sock.version()
        ftp.quit()
        return seen

    def store_and_retrieve(passive):
        def run():
            ftp = connect(cfg, passive)
            name = "ftplib-%s.bin" % ("pasv" if passive else "port")
            ftp.storbinary("STOR " + name, io.BytesIO(payload))
            back = retr(ftp, name)
            ftp.voidcmd("TYPE I")
            size = ftp.size(name)
            ftp.quit()
            return {"sent": sha(payload), "received": sha(back), "size": size}
        return run

    def rest():
        ftp = connect(cfg)
        ftp.storbinary("STOR rest.bin", io.BytesIO(payload))
        tail = retr(ftp, "rest.bin", rest=1000)
        ftp.quit()
        return {"expected": sha(payload[1000:]), "received": sha(tail)}

    def store_rest():
        ftp = connect(cfg)
        ftp.storbinary("STOR partial.bin", io.BytesIO(payload[:5000]))
        ftp.storbinary("STOR partial.bin", io.BytesIO(payload[5000:]), rest=5000)
        back = retr(ftp, "partial.bin")
        ftp.quit()
        return {"expected": sha(payload), "received": sha(back)}

    def mlsd():
        ftp = connect(cfg)
        try:
            ftp.mkd("mlsd dir")
        except ftplib.error_perm:
            pass  # made by an earlier run against the same root (FTPS runs the checks per TLS version)
        ftp.storbinary("STOR mlsd dir/one ünï.txt", io.BytesIO(b"12345"))
        entries = {name: facts for name, facts in ftp.mlsd("mlsd dir")}
        ftp.quit()
        return {name: {"type": f.get("type"), "size": f.get("size")} for name, f in entries.items()}

    def ascii_lines():
        ftp = connect(cfg)
        text = "first line\nsecond line\nthird ünï line\n"
        ftp.storlines("STOR text.txt", io.BytesIO(text.encode("utf-8")))
        lines = []
        ftp.retrlines("RETR text.txt", lines.append)
        ftp.voidcmd("TYPE I")
        stored = retr(ftp, "text.txt")
        ftp.quit()
        return {"lines": lines, "stored": stored.decode("utf-8")}

    def abort():
        ftp = connect(cfg)
        ftp.voidcmd("TYPE I")
        big = payload * 64
        ftp.storbinary("STOR big.bin", io.BytesIO(big))
        conn = ftp.transfercmd("RETR big.bin")
        first = conn.recv(4096)
        # ftplib sends ABOR with MSG_OOB (its last byte is urgent data).
        resp = ftp.abort()
        conn.close()
        try:
            after = ftp.getresp()  # the reply left over when the server answers 426 then 226
        except ftplib.all_errors as e:
            after = str(e)
        still = ftp.sendcmd("NOOP")
        size = ftp.size("big.bin")
        ftp.quit()
        return {"read": len(first) > 0, "abort": resp[:3], "after": str(after)[:3], "noop": still[:3], "size": size, "expected": len(big)}

    def rename_delete():
        ftp = connect(cfg)
        ftp.storbinary("STOR old name.txt", io.BytesIO(b"x"))
        ftp.rename("old name.txt", "new name.txt")
        names_after_rename = sorted(ftp.nlst())
        ftp.delete("new name.txt")
        names_after_delete = sorted(ftp.nlst())
        try:
            ftp.delete("new name.txt")
            missing = "deleted twice"
        except ftplib.error_perm as e:
            missing = str(e)[:3]
        ftp.quit()
        return {
            "renamed": "new name.txt" in names_after_rename and "old name.txt" not in names_after_rename,
            "deleted": "new name.txt" not in names_after_delete,
            "missing": missing,
        }

    def bad_login():
        ftp = ftplib.FTP(timeout=20) if not cfg.get("tls") else None
        if ftp is None:
            return {"skipped": "tls"}
        ftp.connect("127.0.0.1", cfg["port"])
        try:
            ftp.login(cfg["user"], cfg["password"] + "-wrong")
            return {"result": "logged in"}
        except ftplib.error_perm as e:
            return {"result": str(e)[:3]}
        finally:
            ftp.close()

    def many():
        # One control connection, many data connections: each must resume (TLS 1.3: the
        # newest ticket; ftplib's sock.session is the control connection's latest).
        ftp = connect(cfg)
        ftp.voidcmd("TYPE I")
        ftp.storbinary("STOR many.bin", io.BytesIO(payload[:100000]))
        same = 0
        for _ in range(20):
            if retr(ftp, "many.bin") == payload[:100000]:
                same += 1
        ftp.quit()
        return {"transfers": 20, "intact": same}

    checks = {
        "login": login,
        "passive": store_and_retrieve(True),
        "active": store_and_retrieve(False),
        "rest": rest,
        "store_rest": store_rest,
        "mlsd": mlsd,
        "ascii": ascii_lines,
        "abort": abort,
        "rename_delete": rename_delete,
        "bad_login": bad_login,
        "many": many,
    }
    only = cfg.get("only") or [name for name in checks if name != "many"]
    for name in only:
        check(name, checks[name])
    print(json.dumps(report))


main()
