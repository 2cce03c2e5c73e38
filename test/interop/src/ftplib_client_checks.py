#!/usr/bin/python3
"""Drives an FTP server with Python's ftplib, the way applications use it, and prints a JSON
report of what it saw (used by server-interop.test.ts). Every check is independent: a failing
one is reported as {"error": "..."} and the next one runs.

usage: ftplib_client_checks.py '{"port": 2121, "user": "u", "password": "p", "tls": false, "workdir": "/tmp/x"}'
"""

import ftplib
import hashlib
import io
import json
import os
import ssl
import sys


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


def connect(cfg, passive=True):
    if cfg.get("tls") == "explicit":
        ctx = ssl.create_default_context(cafile=cfg.get("certFile"))
        ctx.check_hostname = False
        if not cfg.get("certFile"):
            ctx.verify_mode = ssl.CERT_NONE
        ftp = ReuseFTP_TLS(context=ctx, timeout=20, encoding="utf-8")
        ftp.connect("127.0.0.1", cfg["port"])
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
        ftp.quit()
        return {"welcome": welcome[:3], "pwd": pwd}

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
        ftp.mkd("mlsd dir")
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

    check("login", login)
    check("passive", store_and_retrieve(True))
    check("active", store_and_retrieve(False))
    check("rest", rest)
    check("store_rest", store_rest)
    check("mlsd", mlsd)
    check("ascii", ascii_lines)
    check("abort", abort)
    check("rename_delete", rename_delete)
    check("bad_login", bad_login)
    print(json.dumps(report))


main()
