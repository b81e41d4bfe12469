package dev.tandem.cli.net;

import dev.tandem.core.dev.virtio.VirtioNet;
import dev.tandem.core.machine.Machine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The network part of the command line, QEMU style:
 *
 * <pre>
 * --netdev socket,id=ID,listen=HOST:PORT     Ethernet frames over TCP (wait for one peer)
 * --netdev socket,id=ID,connect=HOST:PORT    Ethernet frames over TCP (connect to a listening peer)
 * --netdev tap,id=ID,ifname=NAME             a Linux TAP interface (root)
 * --nic virtio,netdev=ID[,mac=MAC]           a virtio network card attached to that backend
 * --nic TYPE,...backend options...[,mac=MAC][,model=virtio]   both at once (QEMU's -nic)
 * --nic none[,mac=MAC]                       a card with no backend (its frames go nowhere)
 * </pre>
 *
 * Cards take slots 0, 1, ... in the order given (PCI 00:03.0, 00:04.0, ...); the default MAC of
 * slot {@code s} is 52:54:00:12:34:(56 + s), as QEMU numbers its NICs.
 */
public final class NetConfig {
    /** A backend: {@code type} (socket, tap) and its options, in order. */
    public record Netdev(String id, String type, Map<String, String> options) {
        public String describe() {
            StringBuilder sb = new StringBuilder(type);
            options.forEach((k, v) -> sb.append(',').append(k).append('=').append(v));
            return sb.toString();
        }
    }

    /** A card in {@code slot} with {@code mac}, connected to {@code netdev} (null: nothing). */
    public record Nic(int slot, byte[] mac, Netdev netdev) {
        /** The card as the guest spec stores it ({@code virtio,mac=...}). */
        public String guestSpec() {
            return "virtio,mac=" + VirtioNet.formatMac(mac);
        }
    }

    private final List<Nic> nics;

    private NetConfig(List<Nic> nics) {
        this.nics = List.copyOf(nics);
    }

    public List<Nic> nics() {
        return nics;
    }

    public boolean isEmpty() {
        return nics.isEmpty();
    }

    static byte[] defaultMac(int slot) {
        return new byte[] {0x52, 0x54, 0x00, 0x12, 0x34, (byte) (0x56 + slot)};
    }

    /** Parses the --netdev and --nic option values (either list may be null). */
    public static NetConfig parse(List<String> netdevs, List<String> nics) {
        Map<String, Netdev> byId = new LinkedHashMap<>();
        if (netdevs != null) {
            for (String s : netdevs) {
                Map<String, String> o = options(s, "--netdev");
                String type = o.remove("");
                String id = o.remove("id");
                if (id == null || id.isEmpty()) throw new IllegalArgumentException("--netdev " + s + ": id= is required");
                if (byId.containsKey(id)) throw new IllegalArgumentException("--netdev id '" + id + "' is used twice");
                byId.put(id, backend(id, type, o, "--netdev " + s));
            }
        }
        List<Nic> out = new ArrayList<>();
        java.util.Set<String> used = new java.util.HashSet<>();
        if (nics != null) {
            for (String s : nics) {
                int slot = out.size();
                if (slot >= Machine.NIC_SLOTS) throw new IllegalArgumentException("at most " + Machine.NIC_SLOTS + " network cards");
                Map<String, String> o = options(s, "--nic");
                String first = o.remove("");
                String macText = o.remove("mac");
                byte[] mac = macText == null ? defaultMac(slot) : VirtioNet.parseMac(macText);
                if ((mac[0] & 1) != 0) throw new IllegalArgumentException("--nic " + s + ": " + macText + " is a multicast address");
                Netdev nd;
                if (isModel(first)) {
                    String id = o.remove("netdev");
                    if (!o.isEmpty()) throw new IllegalArgumentException("--nic " + s + ": unknown option(s) " + o.keySet());
                    if (id == null) {
                        nd = null;
                    } else {
                        nd = byId.get(id);
                        if (nd == null) throw new IllegalArgumentException("--nic " + s + ": no --netdev with id=" + id);
                        if (!used.add(id)) throw new IllegalArgumentException("--netdev " + id + " is attached to two cards");
                    }
                } else {
                    String model = o.remove("model");
                    if (model != null && !isModel(model)) {
                        throw new IllegalArgumentException("--nic " + s + ": unknown model '" + model + "' (this machine has virtio)");
                    }
                    nd = first.equals("none") ? null : backend("nic" + slot, first, o, "--nic " + s);
                    if (nd == null && !o.isEmpty()) throw new IllegalArgumentException("--nic " + s + ": unknown option(s) " + o.keySet());
                }
                out.add(new Nic(slot, mac, nd));
            }
        }
        for (String id : byId.keySet()) {
            if (!used.contains(id)) throw new IllegalArgumentException("--netdev " + id + " is not attached to any --nic");
        }
        return new NetConfig(out);
    }

    private static boolean isModel(String s) {
        return s.equals("virtio") || s.equals("virtio-net") || s.equals("virtio-net-pci");
    }

    private static Netdev backend(String id, String type, Map<String, String> o, String what) {
        switch (type) {
            case "socket" -> {
                String listen = o.get("listen");
                String connect = o.get("connect");
                if ((listen == null) == (connect == null)) {
                    throw new IllegalArgumentException(what + ": socket needs exactly one of listen=HOST:PORT or connect=HOST:PORT");
                }
                hostPort(listen != null ? listen : connect, what);
                if (o.size() != 1) throw new IllegalArgumentException(what + ": unknown socket option(s) in " + o.keySet());
            }
            case "tap" -> {
                String ifname = o.get("ifname");
                if (ifname == null || ifname.isEmpty() || ifname.length() > 15) {
                    throw new IllegalArgumentException(what + ": tap needs ifname=NAME (at most 15 characters)");
                }
                if (o.size() != 1) throw new IllegalArgumentException(what + ": unknown tap option(s) in " + o.keySet());
            }
            case "user" -> throw new IllegalArgumentException(what + ": the user (slirp) backend is not available: there is "
                    + "no maintained TCP/IP stack in Java to build it on (see docs/network.md); use tap or socket");
            default -> throw new IllegalArgumentException(what + ": unknown network backend '" + type + "' (socket, tap)");
        }
        return new Netdev(id, type, Map.copyOf(o));
    }

    /** Splits {@code HOST:PORT}; the port may be 0 for listen (an ephemeral port, reported at start). */
    static java.net.InetSocketAddress hostPort(String s, String what) {
        int c = s.lastIndexOf(':');
        if (c < 0) throw new IllegalArgumentException(what + ": '" + s + "' is not HOST:PORT");
        String host = c == 0 ? "127.0.0.1" : s.substring(0, c);
        int port;
        try {
            port = Integer.parseInt(s.substring(c + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": bad port in '" + s + "'");
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException(what + ": port out of range in '" + s + "'");
        return java.net.InetSocketAddress.createUnresolved(host, port);
    }

    /** {@code type,k=v,k=v} into a map whose "" entry is the leading word. */
    private static Map<String, String> options(String s, String what) {
        String[] parts = s.split(",");
        Map<String, String> o = new LinkedHashMap<>();
        if (parts.length == 0 || parts[0].isEmpty() || parts[0].contains("=")) {
            throw new IllegalArgumentException(what + " " + s + ": starts with a type (" + (what.equals("--nic") ? "virtio, socket, tap or none" : "socket or tap") + ")");
        }
        o.put("", parts[0]);
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException(what + " " + s + ": '" + parts[i] + "' is not KEY=VALUE");
            if (o.put(parts[i].substring(0, eq), parts[i].substring(eq + 1)) != null) {
                throw new IllegalArgumentException(what + " " + s + ": " + parts[i].substring(0, eq) + "= given twice");
            }
        }
        return o;
    }
}
