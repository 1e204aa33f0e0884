/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The frames nodes send each other over their links, one layout for both ends (the sending Router builds them, the
 * receiving Router reads them). Little-endian.
 * <pre>
 *   0        1                3                   5
 *   | type   | sender length  | recipient length  | sender bytes | recipient bytes | text bytes (to the end) |
 * </pre>
 * {@link #MESSAGE}: deliver {@code from <sender>: <text>} to the recipient. {@link #NO_PEER}: the recipient was not
 * there; tell the sender {@code error: no peer: <recipient>} (no text).
 */
public final class NodeMessageDescriptor
{
    public static final byte MESSAGE = 1;
    public static final byte NO_PEER = 2;

    public static final int TYPE_OFFSET = 0;
    public static final int SENDER_LENGTH_OFFSET = 1;
    public static final int RECIPIENT_LENGTH_OFFSET = 3;
    public static final int HEADER_LENGTH = 5;

    private NodeMessageDescriptor()
    {
    }

    /**
     * Writes a frame's header and names; the caller appends the text.
     *
     * @return the offset where the text goes.
     */
    public static int putHeader(final MutableDirectBuffer buffer, final byte type,
        final DirectBuffer sender, final int senderOffset, final int senderLength,
        final DirectBuffer recipient, final int recipientOffset, final int recipientLength)
    {
        buffer.putByte(TYPE_OFFSET, type);
        buffer.putShort(SENDER_LENGTH_OFFSET, (short)senderLength);
        buffer.putShort(RECIPIENT_LENGTH_OFFSET, (short)recipientLength);
        buffer.putBytes(HEADER_LENGTH, sender, senderOffset, senderLength);
        buffer.putBytes(HEADER_LENGTH + senderLength, recipient, recipientOffset, recipientLength);
        return HEADER_LENGTH + senderLength + recipientLength;
    }

    public static byte type(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + TYPE_OFFSET);
    }

    public static int senderLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + SENDER_LENGTH_OFFSET) & 0xFFFF;
    }

    public static int recipientLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + RECIPIENT_LENGTH_OFFSET) & 0xFFFF;
    }

    /**
     * @return null if a frame of {@code length} bytes at {@code offset} is well formed, else why not.
     */
    public static String check(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            return "frame shorter than its header: " + length;
        }
        final byte type = type(buffer, offset);
        if (type != MESSAGE && type != NO_PEER)
        {
            return "unknown frame type " + type;
        }
        if (HEADER_LENGTH + senderLength(buffer, offset) + recipientLength(buffer, offset) > length)
        {
            return "names longer than the frame";
        }
        return null;
    }
}
