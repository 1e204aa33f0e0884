/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.agrona.DirectBuffer;

/**
 * tern's line protocol, the one description that the broker, the transport and the loadgen all use (README, "The
 * protocol"): separators, the name rule, every line the broker sends, and the largest line it can send.
 * <pre>
 *   client to broker (each line ends with \n; one \r before it is dropped)
 *     NAME                                      first line: trimmed of spaces and tabs, then checkName
 *     DEST1, DEST2: TEXT                        every other line: split at the first ':', destinations at ','
 *
 *   broker to client: nothing but these lines           sent by
 *     from NAME: TEXT                                   router, to each destination
 *     error: no peer 'DEST'                             router, per destination not connected
 *     error: expected 'name[, name...]: text'           router: no ':', or no destination
 *     error: invalid name: REASON                       router, then close: the first line breaks the name rule
 *     error: name 'NAME' is taken                       router, then close
 *     error: line too long (max N bytes)                router, then close (reader: REASON_LINE_TOO_LONG)
 *     error: no name within N ms                        router (reader: REASON_NAME_TIMEOUT) or authenticator
 *     error: line not finished within N ms              router, then close (reader: REASON_PARTIAL_LINE_TIMEOUT)
 *     error: idle for N ms                              router, then close (reader: REASON_IDLE_TIMEOUT)
 *     error: not authorized                             authenticator, then close
 *     error: busy                                       authenticator (too many logins waiting), then close
 *     error: slow consumer                              writer, best effort, then close
 *     error: too many connections                       acceptor, best effort, then close
 *     error: too many connections from your address     acceptor, best effort, then close
 *     error: server out of memory                       acceptor, best effort, then close
 * </pre>
 * The texts are given without their line end; {@link #lineBytes(String)} adds it. Stateless: any thread. The name
 * check on a buffer ({@link #checkName(DirectBuffer, int, int, int)}) allocates nothing, for the broker's thread.
 */
public final class Protocol
{
    /** Ends every line in both directions. */
    public static final byte LINE_END = '\n';
    /** Dropped when it comes right before {@link #LINE_END} in what a client sends. */
    public static final byte CARRIAGE_RETURN = '\r';
    /** Separates the destinations of a message line; never part of a name. */
    public static final byte DESTINATION_SEPARATOR = ',';
    /** Ends the destination list of a message line (the first one in the line); never part of a name. */
    public static final byte TEXT_SEPARATOR = ':';
    /** The highest control byte below space; bytes 0x00 to this one are control characters. */
    private static final byte LAST_C0_CONTROL = 0x1F;
    /** DEL, the one control character above space. */
    private static final byte DELETE = 0x7F;

    /**
     * The broker's default for {@code --max-name-bytes}; a client that cannot ask the broker (the loadgen) keeps its
     * names within it.
     */
    public static final int DEFAULT_MAX_NAME_BYTES = 64;

    /** What every delivered message starts with, before the sender's name. */
    public static final String FROM_PREFIX = "from ";
    /** Between the sender's name and the text of a delivered message. */
    public static final String FROM_SEPARATOR = ": ";

    /** What every error line starts with. */
    public static final String ERROR_PREFIX = "error: ";
    /** A destination that is not connected: this, the destination as sent (trimmed), {@link #NO_PEER_SUFFIX}. */
    public static final String NO_PEER_PREFIX = "error: no peer '";
    /** Ends an {@link #NO_PEER_PREFIX} line. */
    public static final String NO_PEER_SUFFIX = "'";
    /** A name already held by a connected peer: this, the name, {@link #NAME_TAKEN_SUFFIX}. */
    public static final String NAME_TAKEN_PREFIX = "error: name '";
    /** Ends a {@link #NAME_TAKEN_PREFIX} line. */
    public static final String NAME_TAKEN_SUFFIX = "' is taken";
    /** A first line that breaks the name rule: this, then the {@link NameError#reason(int) reason}. */
    public static final String INVALID_NAME_PREFIX = "error: invalid name: ";
    /** A line that is not {@code dest1, dest2: text}. */
    public static final String BAD_LINE = "error: expected 'name[, name...]: text'";
    /** The peer did not read fast enough; its backlog was discarded. */
    public static final String SLOW_CONSUMER = "error: slow consumer";
    /** Refused on accept: {@code --max-connections} are open. */
    public static final String TOO_MANY_CONNECTIONS = "error: too many connections";
    /** Refused on accept: {@code --max-connections-per-address} are open from the client's address. */
    public static final String TOO_MANY_FROM_ADDRESS = "error: too many connections from your address";
    /** Refused on accept: no memory for the connection's buffers. */
    public static final String SERVER_OUT_OF_MEMORY = "error: server out of memory";
    /** Authentication is on and the first line is not a known {@code name secret}. */
    public static final String NOT_AUTHORIZED = "error: not authorized";
    /** Authentication is on and too many logins already wait for a credentials check: try again later. */
    public static final String BUSY = "error: busy";
    private static final String TOO_MANY_DESTINATIONS_PREFIX = "error: too many destinations (max ";
    private static final String TOO_MANY_DESTINATIONS_SUFFIX = ")";
    private static final String LINE_TOO_LONG_PREFIX = "error: line too long (max ";
    private static final String LINE_TOO_LONG_SUFFIX = " bytes)";
    /** {@link #nameTimeout(long)}'s text before and after the number of milliseconds. */
    public static final String NAME_TIMEOUT_PREFIX = "error: no name within ";
    public static final String NAME_TIMEOUT_SUFFIX = " ms";
    private static final String PARTIAL_LINE_TIMEOUT_PREFIX = "error: line not finished within ";
    private static final String IDLE_TIMEOUT_PREFIX = "error: idle for ";

    /**
     * Why a name breaks the rule: 1 to max-name-bytes bytes, none of them {@code ,} {@code :} or a control character
     * (0x00-0x1F and 0x7F), once trimmed of spaces and tabs. Spaces inside a name are allowed; bytes 0x80-0xFF too.
     */
    public enum NameError
    {
        /** Nothing left once trimmed. */
        EMPTY("empty"),
        /** Longer than max-name-bytes. */
        TOO_LONG(null),
        /**
         * Starts or ends with a space or tab. Only the {@link Protocol#checkName(String, int)} form reports this: the
         * broker trims the first line before checking, so such a name would be registered without them.
         */
        UNTRIMMED("starts or ends with a space or tab"),
        /** Holds {@link Protocol#DESTINATION_SEPARATOR}. */
        COMMA("contains ','"),
        /** Holds {@link Protocol#TEXT_SEPARATOR}. */
        COLON("contains ':'"),
        /** Holds a byte 0x00-0x1F or 0x7F. */
        CONTROL("contains a control character");

        private final String reason;

        NameError(final String reason)
        {
            this.reason = reason;
        }

        /**
         * @param maxNameBytes the limit the name was checked against.
         * @return the reason as the broker words it after {@link Protocol#INVALID_NAME_PREFIX}.
         */
        public String reason(final int maxNameBytes)
        {
            return null == reason ? "longer than " + maxNameBytes + " bytes" : reason;
        }
    }

    private Protocol()
    {
    }

    /**
     * @param b a byte of a line.
     * @return true for the blanks the protocol trims around names, destinations and text: space and tab.
     */
    public static boolean isBlank(final byte b)
    {
        return b == ' ' || b == '\t';
    }

    /**
     * @param buffer holding the bytes.
     * @param start  first index.
     * @param end    index after the last.
     * @return the index of the first non-blank byte in [start, end), or end.
     */
    public static int skipBlanks(final DirectBuffer buffer, final int start, final int end)
    {
        int i = start;
        while (i < end && isBlank(buffer.getByte(i)))
        {
            i++;
        }
        return i;
    }

    /**
     * @param buffer holding the bytes.
     * @param start  first index.
     * @param end    index after the last.
     * @return the index after the last non-blank byte in [start, end), or start.
     */
    public static int trimBlanksEnd(final DirectBuffer buffer, final int start, final int end)
    {
        int i = end;
        while (i > start && isBlank(buffer.getByte(i - 1)))
        {
            i--;
        }
        return i;
    }

    /**
     * The name rule, on a name already trimmed of spaces and tabs, in place and without allocation (the broker's
     * thread checks every first line with it).
     *
     * @param buffer       holding the name.
     * @param start        index of its first byte.
     * @param end          index after its last byte.
     * @param maxNameBytes the broker's {@code --max-name-bytes}.
     * @return null for a valid name, else why it is not.
     */
    public static NameError checkName(final DirectBuffer buffer, final int start, final int end, final int maxNameBytes)
    {
        NameError error = checkNameLength(end - start, maxNameBytes);
        for (int i = start; i < end && null == error; i++)
        {
            error = checkNameByte(buffer.getByte(i));
        }
        return error;
    }

    /**
     * The name rule for a name that a tool will send or store, as its UTF-8 bytes: the same rule as the broker's, and
     * the name must already be trimmed ({@link NameError#UNTRIMMED}), so that the broker registers exactly this name.
     * Allocates; not for the hot path. Touches no Agrona class, so a tool started without Agrona's JVM flags (the
     * loadgen) can call it.
     *
     * @param name         the name.
     * @param maxNameBytes the broker's {@code --max-name-bytes}, or {@link Integer#MAX_VALUE} when unknown.
     * @return null for a valid name, else why it is not.
     */
    public static NameError checkName(final String name, final int maxNameBytes)
    {
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0 && (isBlank(bytes[0]) || isBlank(bytes[bytes.length - 1])))
        {
            return NameError.UNTRIMMED;
        }
        NameError error = checkNameLength(bytes.length, maxNameBytes);
        for (int i = 0; i < bytes.length && null == error; i++)
        {
            error = checkNameByte(bytes[i]);
        }
        return error;
    }

    /** The rule's bounds on a trimmed name's length: 1 to max-name-bytes. */
    private static NameError checkNameLength(final int length, final int maxNameBytes)
    {
        if (length <= 0)
        {
            return NameError.EMPTY;
        }
        return length > maxNameBytes ? NameError.TOO_LONG : null;
    }

    /** The rule's forbidden bytes: the two separators and every control character. */
    private static NameError checkNameByte(final byte b)
    {
        if (b == DESTINATION_SEPARATOR)
        {
            return NameError.COMMA;
        }
        if (b == TEXT_SEPARATOR)
        {
            return NameError.COLON;
        }
        if ((b >= 0 && b <= LAST_C0_CONTROL) || b == DELETE)
        {
            return NameError.CONTROL;
        }
        return null;
    }

    /**
     * Whether a connection that has sent no complete first line has run out of time.
     *
     * @param acceptedNs    {@link System#nanoTime()} when the connection was accepted.
     * @param nowNs         {@link System#nanoTime()} now.
     * @param nameTimeoutNs {@code --name-timeout-ms} in nanoseconds; 0 for no deadline.
     * @return true once more than the timeout has passed since the accept.
     */
    public static boolean isNameOverdue(final long acceptedNs, final long nowNs, final long nameTimeoutNs)
    {
        return nameTimeoutNs > 0 && nowNs - acceptedNs > nameTimeoutNs;
    }

    /**
     * @param error        why the name was refused.
     * @param maxNameBytes the limit it was checked against.
     * @return {@code error: invalid name: <reason>}.
     */
    public static String invalidName(final NameError error, final int maxNameBytes)
    {
        return INVALID_NAME_PREFIX + error.reason(maxNameBytes);
    }

    /**
     * @param maxLineBytes the broker's {@code --max-line-bytes}.
     * @return {@code error: line too long (max N bytes)}.
     */
    public static String lineTooLong(final int maxLineBytes)
    {
        return LINE_TOO_LONG_PREFIX + maxLineBytes + LINE_TOO_LONG_SUFFIX;
    }

    /**
     * @param maxDestinations the broker's {@code --max-destinations}.
     * @return {@code error: too many destinations (max N)}: the whole line is refused, nothing of it delivered.
     */
    public static String tooManyDestinations(final int maxDestinations)
    {
        return TOO_MANY_DESTINATIONS_PREFIX + maxDestinations + TOO_MANY_DESTINATIONS_SUFFIX;
    }

    /**
     * @param nameTimeoutMs the broker's {@code --name-timeout-ms}.
     * @return {@code error: no name within N ms}.
     */
    public static String nameTimeout(final long nameTimeoutMs)
    {
        return NAME_TIMEOUT_PREFIX + nameTimeoutMs + NAME_TIMEOUT_SUFFIX;
    }

    /**
     * @param partialLineTimeoutMs the broker's {@code --partial-line-timeout-ms}.
     * @return {@code error: line not finished within N ms}.
     */
    public static String partialLineTimeout(final long partialLineTimeoutMs)
    {
        return PARTIAL_LINE_TIMEOUT_PREFIX + partialLineTimeoutMs + NAME_TIMEOUT_SUFFIX;
    }

    /**
     * @param idleTimeoutMs the broker's {@code --idle-timeout-ms}.
     * @return {@code error: idle for N ms}.
     */
    public static String idleTimeout(final long idleTimeoutMs)
    {
        return IDLE_TIMEOUT_PREFIX + idleTimeoutMs + NAME_TIMEOUT_SUFFIX;
    }

    /**
     * @param text part of a line.
     * @return its bytes (the protocol's own texts are ASCII).
     */
    public static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param text the end of a line, or a whole line, without its line end.
     * @return its bytes followed by {@link #LINE_END}.
     */
    public static byte[] lineBytes(final String text)
    {
        final byte[] textBytes = bytes(text);
        final byte[] line = Arrays.copyOf(textBytes, textBytes.length + 1);
        line[textBytes.length] = LINE_END;
        return line;
    }

    /**
     * @param maxNameBytes the broker's {@code --max-name-bytes}.
     * @return bytes a delivered message takes beyond its text: {@code from <name>: } and the line end.
     */
    public static int deliveryOverheadBytes(final int maxNameBytes)
    {
        return FROM_PREFIX.length() + maxNameBytes + FROM_SEPARATOR.length() + 1;
    }

    /**
     * The longest line the broker can send, line end included: a delivered message of max-line-bytes of text, or an
     * error echoing a destination as long as a line, whichever is longer, and never less than the longest fixed
     * error line.
     *
     * @param maxNameBytes the broker's {@code --max-name-bytes}.
     * @param maxLineBytes the broker's {@code --max-line-bytes}.
     * @return bytes.
     */
    public static long maxMessageBytes(final int maxNameBytes, final int maxLineBytes)
    {
        final long delivered = deliveryOverheadBytes(maxNameBytes) + (long)maxLineBytes;
        final long noPeer = NO_PEER_PREFIX.length() + (long)maxLineBytes + NO_PEER_SUFFIX.length() + 1;
        final long nameTaken = NAME_TAKEN_PREFIX.length() + (long)maxNameBytes + NAME_TAKEN_SUFFIX.length() + 1;
        long replies = Math.max(lineTooLong(maxLineBytes).length(), nameTimeout(Long.MAX_VALUE).length());
        replies = Math.max(replies, Math.max(partialLineTimeout(Long.MAX_VALUE).length(),
            idleTimeout(Long.MAX_VALUE).length()));
        for (final NameError error : NameError.values())
        {
            replies = Math.max(replies, invalidName(error, maxNameBytes).length());
        }
        for (final String reply : new String[]{ BAD_LINE, SLOW_CONSUMER, TOO_MANY_CONNECTIONS, TOO_MANY_FROM_ADDRESS,
            SERVER_OUT_OF_MEMORY, NOT_AUTHORIZED, BUSY })
        {
            replies = Math.max(replies, reply.length());
        }
        return Math.max(Math.max(delivered, noPeer), Math.max(nameTaken, replies + 1));
    }
}
