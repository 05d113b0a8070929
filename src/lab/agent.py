#!/usr/bin/python3
# The program the whyreset lab runs inside the network namespaces (src/lab/runLab.ts copies it
# to the run's work directory and starts it with Debian's /usr/bin/python3, which carries
# python3-scapy). Python because the socket options the scenarios need (SO_LINGER 0, tiny listen
# backlogs, a listener that never accepts, reading nothing before close) are one line each here,
# and scapy crafts the packets no kernel would send.
#
# Modes (argv[1]):
#   serve  FAMILY ADDR PORT BACKLOG ACCEPTS STEPS      prints READY once listening
#   connect FAMILY ADDR PORT BINDPORT COUNT STEPS     COUNT parallel connections
#   craft  SRC DST OPEN_PORT CLOSED_PORT TTL          malformed SYN probes (scapy)
#   inject IFACE KEYWORD TTL_TO_CLIENT TTL_TO_SERVER SHIFTS TIMEOUT   on-path RST injector (scapy)
#   stale-syn IFACE SRC DST PORT SPORT TTL            a connection, then a SYN reusing its 4-tuple with the old ISN
#   listen-close FAMILY ADDR PORT BACKLOG             listens, never accepts, closes the listener on a stdin line
#   synack SRC DST SPORT DPORTS TTL                    unsolicited SYN-ACKs (scapy) to each of DPORTS (comma-separated)
#
# STEPS is a comma-separated script run on each connection, so a scenario reads as its story:
#   send:TEXT  sendn:N  recv  until-eof:S  until-closed:S  sleep:S  shutwr  linger0  close
#   waitline (blocks until a line arrives on stdin)  print:TEXT  idle-reap:S  hold:S
# Every wait is bounded; every socket error ends the script with "ERR <errno name>".
import errno, os, select, socket, struct, sys, threading, time

LOCK = threading.Lock()

def out(msg):
    with LOCK:
        sys.stdout.write(msg + "\n")
        sys.stdout.flush()

def errname(e):
    return errno.errorcode.get(e.errno or 0, str(e))

def recv_once(sock, tag, timeout):
    sock.settimeout(timeout)
    try:
        data = sock.recv(65536)
    except socket.timeout as e:
        if e.errno:
            raise
        out(tag + " TIMEOUT")
        return "timeout"
    if not data:
        out(tag + " EOF")
        return "eof"
    out(tag + " RECV " + str(len(data)))
    return "data"

def until(sock, tag, seconds):
    """Reads until EOF, an error (raised) or the deadline: the peer decides how this ends."""
    deadline = time.time() + seconds
    for _ in range(10000):
        left = deadline - time.time()
        if left <= 0:
            break
        r = recv_once_quiet(sock, left)
        if r == "eof":
            out(tag + " EOF")
            return
        if r == "timeout":
            break
    out(tag + " TIMEOUT")

def recv_once_quiet(sock, timeout):
    sock.settimeout(timeout)
    try:
        data = sock.recv(65536)
    except socket.timeout as e:
        # socket.timeout is TimeoutError, which the kernel's ETIMEDOUT also maps to: keep that one.
        if e.errno:
            raise
        return "timeout"
    return "data" if data else "eof"

def wait_line(seconds):
    r, _, _ = select.select([sys.stdin], [], [], seconds)
    if r:
        sys.stdin.readline()
        return True
    return False

def run_steps(sock, steps, tag):
    try:
        for step in steps:
            name, _, arg = step.partition(":")
            if name == "send":
                sock.sendall(arg.encode())
            elif name == "sendn":
                sock.sendall(b"x" * int(arg))
            elif name == "recv":
                recv_once(sock, tag, float(arg or 3))
            elif name in ("until-eof", "until-closed"):
                until(sock, tag, float(arg or 3))
            elif name == "hold":
                until(sock, tag, float(arg or 10))
            elif name == "sleep":
                time.sleep(float(arg))
            elif name == "shutwr":
                sock.shutdown(socket.SHUT_WR)
            elif name == "linger0":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif name == "close":
                sock.close()
                out(tag + " CLOSED")
                return
            elif name == "waitline":
                if not wait_line(float(arg or 25)):
                    out(tag + " NOLINE")
                    return
            elif name == "print":
                out(tag + " " + arg)
            elif name == "idle-reap":
                if recv_once_quiet(sock, float(arg)) == "timeout":
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()
                    out(tag + " REAPED")
                    return
            else:
                out(tag + " BADSTEP " + name)
                return
        out(tag + " DONE")
    except OSError as e:
        out(tag + " ERR " + errname(e))

def family_of(f):
    return socket.AF_INET6 if f == "6" else socket.AF_INET

def serve(fam, addr, port, backlog, accepts, steps):
    ls = socket.socket(family_of(fam), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(int(backlog))
    out("READY")
    script = [s for s in steps.split(",") if s]
    if int(accepts) == 0:
        time.sleep(60)
        return
    threads = []
    for _ in range(int(accepts)):
        conn, peer = ls.accept()
        tag = "S" + str(peer[1])
        out(tag + " ACCEPTED")
        t = threading.Thread(target=run_steps, args=(conn, script, tag), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(30)

def connect_one(fam, addr, port, bindport, script, idx):
    s = socket.socket(family_of(fam), socket.SOCK_STREAM)
    tag = "C" + str(idx)
    try:
        if int(bindport):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", int(bindport)))
        s.settimeout(5)
        s.connect((addr, int(port)))
        tag = "C" + str(s.getsockname()[1])
        out(tag + " CONNECTED")
    except OSError as e:
        out(tag + " ERR " + errname(e))
        return
    run_steps(s, script, tag)

def connect(fam, addr, port, bindport, count, steps):
    script = [s for s in steps.split(",") if s]
    threads = [threading.Thread(target=connect_one, args=(fam, addr, port, bindport, script, i), daemon=True)
               for i in range(int(count))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    out("FINISHED")

def scapy_l3():
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import conf
    from scapy.supersocket import L3RawSocket
    conf.verb = 0
    conf.L3socket = L3RawSocket
    conf.L3socket6 = L3RawSocket

PROBES = [("SF", "syn-fin"), ("SU", "syn-urg"), ("SR", "syn-rst"), ("", "null"), ("FPU", "xmas")]

def craft(src, dst, open_port, closed_port, ttl):
    scapy_l3()
    from scapy.all import IP, TCP, send
    sport = 41000
    for port in (int(open_port), int(closed_port)):
        for flags, name in PROBES:
            sport += 1
            seq = 100000 * sport
            pkt = IP(src=src, dst=dst, ttl=int(ttl)) / TCP(sport=sport, dport=port, flags=flags, seq=seq,
                                                          urgptr=1 if "U" in flags else 0, window=1024)
            send(pkt)
            out("PROBE %d %d %s %d" % (sport, port, name, seq))
            time.sleep(0.15)
    time.sleep(0.5)
    out("FINISHED")

def inject(iface, keyword, ttl_c, ttl_s, shifts, timeout):
    scapy_l3()
    from scapy.all import IP, TCP, Raw, send, sniff
    done = []
    kw = keyword.encode()
    steps = [int(x) for x in shifts.split(",")]
    def on_packet(p):
        if done or IP not in p or TCP not in p or Raw not in p or kw not in bytes(p[Raw].load):
            return
        ip, tcp = p[IP], p[TCP]
        client_next = (tcp.seq + len(bytes(p[Raw].load))) & 0xFFFFFFFF
        server_next = tcp.ack
        done.append(1)
        for i, shift in enumerate(steps):
            flags = "R" if i == 0 else "RA"
            to_client = IP(src=ip.dst, dst=ip.src, ttl=int(ttl_c)) / TCP(
                sport=tcp.dport, dport=tcp.sport, flags=flags, seq=(server_next + shift) & 0xFFFFFFFF,
                ack=client_next if i else 0, window=0)
            to_server = IP(src=ip.src, dst=ip.dst, ttl=int(ttl_s)) / TCP(
                sport=tcp.sport, dport=tcp.dport, flags=flags, seq=(client_next + shift) & 0xFFFFFFFF,
                ack=server_next if i else 0, window=0)
            send(to_server)
            send(to_client)
            out("INJECTED %d %d %d %s" % (tcp.sport, (server_next + shift) & 0xFFFFFFFF,
                                          (client_next + shift) & 0xFFFFFFFF, flags))
    sniff(iface=iface, filter="tcp", prn=on_packet, store=False, timeout=float(timeout),
          stop_filter=lambda p: bool(done), started_callback=lambda: out("READY"))
    out("FINISHED")

def stale_syn(iface, src, dst, port, sport, ttl):
    scapy_l3()
    from scapy.all import IP, TCP, AsyncSniffer, send
    ready = threading.Event()
    sniffer = AsyncSniffer(iface=iface, filter="tcp and src port %s and dst port %s" % (sport, port), store=True,
                           started_callback=ready.set)
    sniffer.start()
    if not ready.wait(10):
        out("ERR SNIFFER")
        return
    time.sleep(0.1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, int(sport)))
    s.settimeout(5)
    s.connect((dst, int(port)))
    run_steps(s, ["send:hello", "recv", "until-eof:3", "close"], "C" + sport)
    time.sleep(0.3)
    packets = sniffer.stop() or []
    isn = None
    for p in packets:
        if TCP in p and p[TCP].flags == "S":
            isn = p[TCP].seq
            break
    if isn is None:
        out("ERR NOSYN")
        return
    out("OLD_ISN %d" % isn)
    send(IP(src=src, dst=dst, ttl=int(ttl)) / TCP(sport=int(sport), dport=int(port), flags="S", seq=isn,
                                                  window=64240, options=[("MSS", 1460)]))
    out("STALE_SYN_SENT")
    time.sleep(0.5)
    out("FINISHED")

def listen_close(fam, addr, port, backlog):
    # The connections the kernel completes wait in the accept queue; closing the listener then
    # runs inet_csk_listen_stop, which disconnects every queued child (net/ipv4/inet_connection_sock.c).
    ls = socket.socket(family_of(fam), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(int(backlog))
    out("READY")
    if not wait_line(25):
        out("NOLINE")
    ls.close()
    out("LISTENER_CLOSED")
    time.sleep(0.5)
    out("FINISHED")

def synack(src, dst, sport, dports, ttl):
    # SYN-ACKs for SYNs DST never sent: what a host sees when someone spoofed its address in a
    # SYN flood (backscatter), or a raw-socket SYN-ACK probe.
    scapy_l3()
    from scapy.all import IP, TCP, send
    for i, dport in enumerate(int(x) for x in dports.split(",")):
        seq = (2000003 * (i + 7)) & 0xFFFFFFFF
        ack = (3000017 * (i + 11)) & 0xFFFFFFFF
        send(IP(src=src, dst=dst, ttl=int(ttl)) / TCP(sport=int(sport), dport=dport, flags="SA", seq=seq, ack=ack,
                                                    window=64240, options=[("MSS", 1460)]))
        out("SYNACK %s %d %d %d" % (sport, dport, seq, ack))
        time.sleep(0.2)
    time.sleep(0.5)
    out("FINISHED")

def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(*args)
    elif mode == "connect":
        connect(*args)
    elif mode == "craft":
        craft(*args)
    elif mode == "inject":
        inject(*args)
    elif mode == "stale-syn":
        stale_syn(*args)
    elif mode == "listen-close":
        listen_close(*args)
    elif mode == "synack":
        synack(*args)
    else:
        out("BADMODE " + mode)
        sys.exit(2)

main()
