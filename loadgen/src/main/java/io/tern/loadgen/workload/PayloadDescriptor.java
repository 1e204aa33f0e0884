/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Layout of the text of one loadgen message, the part after {@code dest1, dest2: } on the wire and after
 * {@code from <sender>: } when it arrives.
 * <pre>
 *  0          8                  24                 40                 56         64
 *  +----------+------------------+------------------+------------------+----------+-----------------------+
 *  | sender   | sequence         | due time         | send time        | checksum | padding a-z ...       |
 *  | 8 hex    | 16 hex           | 16 hex, nanoTime | 16 hex, nanoTime | 8 hex    | up to payload-bytes   |
 *  +----------+------------------+------------------+------------------+----------+-----------------------+
 * </pre>
 * All hex digits are lower case; the text contains no space, tab, comma, colon or control character, so the
 * broker's trimming cannot change it. The sequence is per stream (sender, receiver): the n-th message of a sender
 * to a given receiver carries n, counting from 0. The checksum covers every byte of the text except
 * the checksum field, eight bytes a step (each step a bijection of the running hash, so a change confined to one
 * word always changes the 64-bit hash before it is folded to 32 bits): a changed byte anywhere, in a field or the
 * padding, is detected. It is a word at a time because it runs on every byte the load generator sends and receives,
 * and a byte-at-a-time hash made the load generator, not the server, the limit with large messages. The padding
 * depends on the sequence, so two messages swapped in their padding do not checksum the same.
 * <p>
 * Stateless; any thread.
 */
public final class PayloadDescriptor
{
    public static final int SENDER_INDEX_OFFSET = 0;
    public static final int SENDER_INDEX_LENGTH = 8;
    public static final int SEQUENCE_OFFSET = SENDER_INDEX_OFFSET + SENDER_INDEX_LENGTH;
    public static final int SEQUENCE_LENGTH = 16;
    public static final int DUE_TIME_OFFSET = SEQUENCE_OFFSET + SEQUENCE_LENGTH;
    public static final int DUE_TIME_LENGTH = 16;
    public static final int SEND_TIME_OFFSET = DUE_TIME_OFFSET + DUE_TIME_LENGTH;
    public static final int SEND_TIME_LENGTH = 16;
    public static final int CHECKSUM_OFFSET = SEND_TIME_OFFSET + SEND_TIME_LENGTH;
    public static final int CHECKSUM_LENGTH = 8;
    public static final int HEADER_LENGTH = CHECKSUM_OFFSET + CHECKSUM_LENGTH;
    public static final int PADDING_OFFSET = HEADER_LENGTH;

    /** Smallest payload: the header with no padding. */
    public static final int MIN_PAYLOAD_BYTES = HEADER_LENGTH;
    /**
     * Largest payload: the broker's default max-line-bytes (65,536) less 1 KiB for the destination list
     * ({@code dest1, dest2: }), so that, for example, 60,000-byte messages to a few peers fit one line. nats-server
     * (max_payload 1 MB by default) and redis-server take messages this long with their defaults too. A longer
     * destination list (a wide fanout) needs a broker with a larger {@code --max-line-bytes}.
     */
    public static final int MAX_PAYLOAD_BYTES = 65_536 - 1024;

    private static final long HASH_SEED = 0x9E37_79B9_7F4A_7C15L;
    private static final long HASH_MULTIPLIER = 0xC2B2_AE3D_27D4_EB4FL; // odd, so multiplying is a bijection
    /** The alphabet over and over: the padding of a message is a slice of it starting at sequence mod 26. */
    private static final byte[] PADDING = new byte[26 + MAX_PAYLOAD_BYTES];
    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] HEX_VALUES = new byte[256];

    static
    {
        for (int i = 0; i < PADDING.length; i++)
        {
            PADDING[i] = (byte)('a' + i % 26);
        }
        java.util.Arrays.fill(HEX_VALUES, (byte)-1);
        for (int i = 0; i < HEX_DIGITS.length; i++)
        {
            HEX_VALUES[HEX_DIGITS[i]] = (byte)i;
        }
    }

    private PayloadDescriptor()
    {
    }

    /**
     * Checks a payload size against the layout.
     *
     * @param payloadBytes the size to check.
     * @throws IllegalArgumentException as {@code --message-bytes=value: reason}.
     */
    public static void checkPayloadBytes(final int payloadBytes)
    {
        if (payloadBytes < MIN_PAYLOAD_BYTES || payloadBytes > MAX_PAYLOAD_BYTES)
        {
            throw new IllegalArgumentException("--message-bytes=" + payloadBytes + ": must be between " +
                MIN_PAYLOAD_BYTES + " (the header) and " + MAX_PAYLOAD_BYTES);
        }
    }

    /**
     * Writes one payload at an absolute index, without changing the buffer's position. Allocation free.
     *
     * @param buffer       to write into; must have {@code payloadBytes} bytes from {@code index}.
     * @param index        where the payload starts.
     * @param payloadBytes total length including padding, at least {@link #MIN_PAYLOAD_BYTES}.
     * @param senderIndex  the sender's index in the workload.
     * @param sequence     the sequence of this message on its stream.
     * @param dueTimeNs    when the schedule wanted it sent ({@link System#nanoTime()}).
     * @param sendTimeNs   when it was actually encoded for sending ({@link System#nanoTime()}).
     */
    public static void encode(
        final ByteBuffer buffer,
        final int index,
        final int payloadBytes,
        final int senderIndex,
        final long sequence,
        final long dueTimeNs,
        final long sendTimeNs)
    {
        putHex(buffer, index + SENDER_INDEX_OFFSET, senderIndex, SENDER_INDEX_LENGTH);
        putHex(buffer, index + SEQUENCE_OFFSET, sequence, SEQUENCE_LENGTH);
        putHex(buffer, index + DUE_TIME_OFFSET, dueTimeNs, DUE_TIME_LENGTH);
        putHex(buffer, index + SEND_TIME_OFFSET, sendTimeNs, SEND_TIME_LENGTH);

        buffer.put(
            index + PADDING_OFFSET, PADDING, (int)Long.remainderUnsigned(sequence, 26), payloadBytes - PADDING_OFFSET);

        putHex(buffer, index + CHECKSUM_OFFSET, checksum(buffer, index, payloadBytes) & 0xFFFF_FFFFL, CHECKSUM_LENGTH);
    }

    /**
     * The checksum of a payload, skipping the checksum field: see the class comment. Allocation free; the result does
     * not depend on the buffer's byte order.
     *
     * @param buffer       holding the payload.
     * @param index        where the payload starts.
     * @param payloadBytes its length, at least {@link #HEADER_LENGTH}.
     * @return the checksum.
     */
    public static int checksum(final ByteBuffer buffer, final int index, final int payloadBytes)
    {
        final boolean bigEndian = buffer.order() == ByteOrder.BIG_ENDIAN;
        long hash = hashRange(buffer, index, index + CHECKSUM_OFFSET, HASH_SEED, bigEndian);
        hash = hashRange(buffer, index + PADDING_OFFSET, index + payloadBytes, hash, bigEndian);
        return (int)(hash ^ (hash >>> 32));
    }

    private static long hashRange(
        final ByteBuffer buffer, final int from, final int to, final long seed, final boolean bigEndian)
    {
        long hash = seed;
        int i = from;
        for (final int wordsEnd = to - Long.BYTES; i <= wordsEnd; i += Long.BYTES)
        {
            final long word = buffer.getLong(i);
            hash = mix(hash, bigEndian ? word : Long.reverseBytes(word));
        }
        if (i < to)
        {
            long tail = 0;
            for (; i < to; i++)
            {
                tail = (tail << 8) | (buffer.get(i) & 0xFF);
            }
            hash = mix(hash, tail);
        }
        return hash;
    }

    private static long mix(final long hash, final long word)
    {
        return Long.rotateLeft((hash ^ word) * HASH_MULTIPLIER, 31);
    }

    /**
     * Writes the low {@code digits * 4} bits of a value as lower-case hex at an absolute index.
     *
     * @param buffer to write into.
     * @param index  of the first (most significant) digit.
     * @param value  to write.
     * @param digits how many digits, 1 to 16.
     */
    public static void putHex(final ByteBuffer buffer, final int index, final long value, final int digits)
    {
        long v = value;
        for (int i = index + digits - 1; i >= index; i--)
        {
            buffer.put(i, HEX_DIGITS[(int)(v & 0xF)]);
            v >>>= 4;
        }
    }

    /**
     * The value of one hex digit.
     *
     * @param b the byte.
     * @return 0 to 15, or -1 when the byte is not a lower-case hex digit.
     */
    public static int hexValue(final byte b)
    {
        return HEX_VALUES[b & 0xFF];
    }
}
