#!/usr/bin/python3
"""Python ftplib as a benchmark client (run with Debian's /usr/bin/python3 by the bench).

small-uploads HOST PORT USER PASSWORD REMOTE_DIR COUNT SIZE
    logs in, changes to REMOTE_DIR, then times COUNT uploads of SIZE bytes (STOR f<i>.bin) over
    the one session, and prints {"seconds": ..., "count": ...} as JSON.
"""

import ftplib
import io
import json
import sys
import time


def small_uploads(host, port, user, password, remote_dir, count, size):
    ftp = ftplib.FTP()
    ftp.connect(host, int(port), timeout=120)
    ftp.login(user, password)
    ftp.cwd(remote_dir)
    data = b"a" * int(size)
    count = int(count)
    t0 = time.perf_counter()
    for i in range(count):
        ftp.storbinary("STOR f%d.bin" % i, io.BytesIO(data))
    seconds = time.perf_counter() - t0
    try:
        ftp.quit()
    except ftplib.all_errors:
        ftp.close()
    print(json.dumps({"seconds": seconds, "count": count}))


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "small-uploads" or len(sys.argv) != 9:
        sys.stderr.write(__doc__)
        sys.exit(2)
    small_uploads(*sys.argv[2:])


if __name__ == "__main__":
    main()
