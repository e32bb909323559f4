package dev.iotonboard.local.iot.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** The IpAddress condition's match: an IPv4 or IPv6 address inside a CIDR block (or equal to a bare address). */
final class Cidr {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private Cidr() {
    }

    static boolean contains(String block, String address) {
        int slash = block.indexOf('/');
        byte[] network = literal(slash < 0 ? block : block.substring(0, slash));
        byte[] candidate = literal(address);
        if (network == null || candidate == null || network.length != candidate.length) {
            return false;
        }
        int bits;
        try {
            bits = slash < 0 ? network.length * 8 : Integer.parseInt(block.substring(slash + 1));
        } catch (NumberFormatException e) {
            return false;
        }
        if (bits < 0 || bits > network.length * 8) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((network[i / 8] & mask) != (candidate[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** The address's bytes; null for anything but an IP literal (no name is ever resolved). */
    private static byte[] literal(String text) {
        String trimmed = text.trim();
        if (!IPV4.matcher(trimmed).matches() && !IPV6.matcher(trimmed).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(trimmed).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
