/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.tern.client.Destinations;
import io.tern.transport.Protocol;

/**
 * The topology of a run: which peers exist, which of them send, which receive, and who sends to whom.
 * <pre>
 *  pairs  (N)      fanout (S, K)               mesh (P)
 *  s0 --> r0       s0 --+--> r0                p0 <--> p1
 *  s1 --> r1       s1 --+--> r1                 ^  \  / ^
 *  ...                  +--> ... r(K-1)         |   \/  |
 *                  (one line to all K)          p3 <--> p2   (random destination per message)
 * </pre>
 * Peers are numbered 0..P-1 and named {@code <prefix><peer index>}. Senders are numbered 0..S-1 and receivers
 * 0..R-1; a stream is one (sender, receiver) pair that carries messages (see {@link #streamIndex(int, int)}).
 * Per-stream sequence numbers and loss accounting are kept in arrays indexed by stream, 24 bytes per stream in all,
 * hence {@link #MAX_STREAMS}.
 * <p>
 * Immutable after construction; any thread.
 */
public final class Workload
{
    /** Bounds the per-stream arrays (about 100 MB at this many streams): mesh up to 2000 peers, fanout S x K. */
    public static final int MAX_STREAMS = 4_000_000;

    private final WorkloadKind kind;
    private final String namePrefix;
    private final int peerCount;
    private final int senderCount;
    private final int receiverCount;
    private final int deliveriesPerMessage;
    private final int[] peerOfSender;
    private final int[] peerOfReceiver;
    private final int[] senderOfPeer;
    private final int[] receiverOfPeer;
    private final byte[][] peerNameBytes;
    private final byte[] namePrefixBytes;

    private Workload(final WorkloadKind kind, final String namePrefix, final int senders, final int receivers)
    {
        this.kind = kind;
        this.namePrefix = namePrefix;
        this.namePrefixBytes = namePrefix.getBytes(StandardCharsets.US_ASCII);
        this.senderCount = senders;
        this.receiverCount = receivers;

        switch (kind)
        {
            case PAIRS:
            case FANOUT:
                peerCount = senders + receivers;
                break;
            default:
                peerCount = senders;
                break;
        }
        deliveriesPerMessage = kind == WorkloadKind.FANOUT ? receivers : 1;
        final String invalidPrefix = checkNamePrefix(namePrefix, peerCount);
        if (null != invalidPrefix)
        {
            throw new IllegalArgumentException("name prefix '" + namePrefix + "': " + invalidPrefix);
        }

        peerOfSender = new int[senders];
        peerOfReceiver = new int[receivers];
        senderOfPeer = new int[peerCount];
        receiverOfPeer = new int[peerCount];
        java.util.Arrays.fill(senderOfPeer, -1);
        java.util.Arrays.fill(receiverOfPeer, -1);
        for (int s = 0; s < senders; s++)
        {
            peerOfSender[s] = s;
            senderOfPeer[s] = s;
        }
        for (int r = 0; r < receivers; r++)
        {
            final int peer = kind == WorkloadKind.MESH ? r : senders + r;
            peerOfReceiver[r] = peer;
            receiverOfPeer[peer] = r;
        }

        peerNameBytes = new byte[peerCount][];
        for (int p = 0; p < peerCount; p++)
        {
            peerNameBytes[p] = (namePrefix + p).getBytes(StandardCharsets.US_ASCII);
        }
    }

    /**
     * Checks a prefix of peer names for a run of up to {@code peers} peers. Names are {@code <prefix><peer index>}
     * and the broker must accept every one, so each passes tern's name rule ({@link Protocol#checkName(String, int)})
     * within the broker's default max-name-bytes (the loadgen cannot ask a broker for its setting). Two rules of the
     * loadgen's own come on top: printable ASCII and no space, since names are written as ASCII and are NATS subjects
     * and Redis channels too, where a space separates arguments; and no digit at the end, so that a name parses back
     * into prefix and index ({@link #peerOfName}).
     *
     * @param prefix of every peer name.
     * @param peers  the most peers a run may have.
     * @return null when every name is valid, else why not.
     */
    public static String checkNamePrefix(final String prefix, final int peers)
    {
        // The longest name has every byte any name has, so it stands for them all.
        final String longestName = prefix + Math.max(0, peers - 1);
        final Protocol.NameError invalid = Protocol.checkName(longestName, Protocol.DEFAULT_MAX_NAME_BYTES);
        if (null != invalid)
        {
            return "names such as '" + longestName + "' break tern's name rule: " +
                invalid.reason(Protocol.DEFAULT_MAX_NAME_BYTES);
        }
        for (int i = 0; i < prefix.length(); i++)
        {
            final char c = prefix.charAt(i);
            if (c == ' ' || c > '~')
            {
                return "printable ASCII only and no space (names are also NATS subjects and Redis channels)";
            }
        }
        if (!prefix.isEmpty() && prefix.charAt(prefix.length() - 1) >= '0' && prefix.charAt(prefix.length() - 1) <= '9')
        {
            return "must not end in a digit (a name must parse back into prefix and peer index)";
        }
        return null;
    }

    /** @param pairs N: N senders, N receivers, sender i sends to receiver i. @param namePrefix of every peer name. */
    public static Workload pairs(final int pairs, final String namePrefix)
    {
        return new Workload(WorkloadKind.PAIRS, namePrefix, pairs, pairs);
    }

    /** @param senders S. @param fanout K receivers, each addressed by every message. @param namePrefix of names. */
    public static Workload fanout(final int senders, final int fanout, final String namePrefix)
    {
        return new Workload(WorkloadKind.FANOUT, namePrefix, senders, fanout);
    }

    /** @param peers P, each sending to random others. @param namePrefix of every peer name. */
    public static Workload mesh(final int peers, final String namePrefix)
    {
        return new Workload(WorkloadKind.MESH, namePrefix, peers, peers);
    }

    public WorkloadKind kind()
    {
        return kind;
    }

    public String namePrefix()
    {
        return namePrefix;
    }

    public int peerCount()
    {
        return peerCount;
    }

    public int senderCount()
    {
        return senderCount;
    }

    public int receiverCount()
    {
        return receiverCount;
    }

    /** @return how many receivers get each message: K for fanout, 1 otherwise. */
    public int deliveriesPerMessage()
    {
        return deliveriesPerMessage;
    }

    /** @return how many streams there are: N for pairs, S x K for fanout, P x P for mesh. */
    public int streamCount()
    {
        return kind == WorkloadKind.PAIRS ? senderCount : senderCount * receiverCount;
    }

    public int peerOfSender(final int sender)
    {
        return peerOfSender[sender];
    }

    public int peerOfReceiver(final int receiver)
    {
        return peerOfReceiver[receiver];
    }

    /** @return the sender index of a peer, or -1 if it does not send. */
    public int senderOfPeer(final int peer)
    {
        return senderOfPeer[peer];
    }

    /** @return the receiver index of a peer, or -1 if it does not receive. */
    public int receiverOfPeer(final int peer)
    {
        return receiverOfPeer[peer];
    }

    /** @return true when messages of this sender may go to this receiver. */
    public boolean sendsTo(final int sender, final int receiver)
    {
        switch (kind)
        {
            case PAIRS:
                return sender == receiver;
            case FANOUT:
                return true;
            default:
                return sender != receiver;
        }
    }

    /**
     * @param sender   index.
     * @param receiver index; for pairs it must be the sender's own receiver.
     * @return the stream's index: the sender for pairs (one stream each), else {@code sender * R + receiver}.
     */
    public int streamIndex(final int sender, final int receiver)
    {
        return kind == WorkloadKind.PAIRS ? sender : sender * receiverCount + receiver;
    }

    /** @return the peer's name as ASCII bytes; do not modify. */
    public byte[] peerNameBytes(final int peer)
    {
        return peerNameBytes[peer];
    }

    public String peerName(final int peer)
    {
        return new String(peerNameBytes[peer], StandardCharsets.US_ASCII);
    }

    /**
     * Parses a peer name in place, without allocation.
     *
     * @param buffer holding the name.
     * @param index  of its first byte.
     * @param length of the name.
     * @return the peer index, or -1 when the name is not one of this run's peers.
     */
    public int peerOfName(final java.nio.ByteBuffer buffer, final int index, final int length)
    {
        final int prefixLength = namePrefixBytes.length;
        if (length <= prefixLength || length > prefixLength + 9)
        {
            return -1;
        }
        for (int i = 0; i < prefixLength; i++)
        {
            if (buffer.get(index + i) != namePrefixBytes[i])
            {
                return -1;
            }
        }
        if (length > prefixLength + 1 && buffer.get(index + prefixLength) == '0')
        {
            return -1; // names are written without leading zeros
        }
        int peer = 0;
        for (int i = index + prefixLength, end = index + length; i < end; i++)
        {
            final int digit = buffer.get(i) - '0';
            if (digit < 0 || digit > 9)
            {
                return -1;
            }
            peer = peer * 10 + digit;
        }
        return peer < peerCount ? peer : -1;
    }

    /**
     * The fixed destination list of a sender, as written before the text: {@code name: } for pairs,
     * {@code r0, r1, ...: } for fanout. Mesh picks per message, see {@link #destinationsOfReceiver(int)}.
     *
     * @param sender index.
     * @return the names, made once here; null for mesh.
     */
    public Destinations destinationsOfSender(final int sender)
    {
        if (kind == WorkloadKind.MESH)
        {
            return null;
        }
        final List<String> names = new ArrayList<>();
        for (int r = 0; r < receiverCount; r++)
        {
            if (sendsTo(sender, r))
            {
                names.add(peerName(peerOfReceiver[r]));
            }
        }
        return Destinations.of(names);
    }

    /**
     * @param receiver index.
     * @return the one destination of a mesh message to that receiver.
     */
    public Destinations destinationsOfReceiver(final int receiver)
    {
        return Destinations.of(peerName(peerOfReceiver[receiver]));
    }

    /**
     * Peers that a peer probes during registration: itself, and every peer it exchanges messages with in either
     * direction (for mesh, which talks to everyone, only its two ring neighbours, to keep the probe count linear).
     *
     * @param peer index.
     * @return peer indexes, itself first.
     */
    public List<Integer> probeTargetsOf(final int peer)
    {
        final List<Integer> targets = new ArrayList<>();
        targets.add(peer);
        if (kind == WorkloadKind.MESH)
        {
            if (peerCount > 1)
            {
                targets.add((peer + 1) % peerCount);
            }
            if (peerCount > 2)
            {
                targets.add((peer + peerCount - 1) % peerCount);
            }
            return targets;
        }
        final int sender = senderOfPeer[peer];
        final int receiver = receiverOfPeer[peer];
        for (int other = 0; other < peerCount; other++)
        {
            final int otherSender = senderOfPeer[other];
            final int otherReceiver = receiverOfPeer[other];
            final boolean to = sender >= 0 && otherReceiver >= 0 && sendsTo(sender, otherReceiver);
            final boolean from = receiver >= 0 && otherSender >= 0 && sendsTo(otherSender, receiver);
            if (other != peer && (to || from))
            {
                targets.add(other);
            }
        }
        return targets;
    }

    /** @return a one-line description, e.g. {@code pairs: 10 senders -> 10 receivers (20 peers)}. */
    public String describe()
    {
        switch (kind)
        {
            case PAIRS:
                return "pairs: " + senderCount + " senders -> " + receiverCount + " receivers, one each (" +
                    peerCount + " peers)";
            case FANOUT:
                return "fanout: " + senderCount + " senders -> the same " + receiverCount +
                    " receivers, all addressed in each line (" + peerCount + " peers)";
            default:
                return "mesh: " + peerCount + " peers, each message to one other peer chosen at random";
        }
    }
}
