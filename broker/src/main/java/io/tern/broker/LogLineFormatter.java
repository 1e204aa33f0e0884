/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Writes exactly what {@link SimpleFormatter} writes with the broker's default format
 * {@value #FORMAT} ({@code 2026-12-03 11:09:29.329 INFO io.tern.broker.Router: peer 'alice' (...) connected}), for
 * a fraction of the garbage: {@code SimpleFormatter} runs {@link String#format} and walks the stack to find the
 * caller on every record, some 6 KiB per connection event, and with many peers connecting at once that garbage is
 * what makes the heap resident. This one caches the date and time to the second, and writes the logger's name, not
 * the caller's class (the format never shows the caller). One difference: control characters in the message are
 * escaped ({@link #printable(String)}), so a log line stays one line and cannot drive the terminal showing it.
 * <p>
 * Any thread: the cached second is one immutable object, replaced whole.
 */
final class LogLineFormatter extends Formatter
{
    /** The {@link SimpleFormatter} format this formatter writes. */
    static final String FORMAT = "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n";

    private static final String LINE_SEPARATOR = System.lineSeparator();

    /** {@code yyyy-MM-dd HH:mm:ss.} of one second in the default time zone. */
    private static final class Second
    {
        final long epochSecond;
        final String text;

        Second(final long epochSecond, final String text)
        {
            this.epochSecond = epochSecond;
            this.text = text;
        }
    }

    private Second second = new Second(Long.MIN_VALUE, "");

    /**
     * Puts this formatter in place of the {@link SimpleFormatter} of the root logger's console handlers, which is
     * where {@code java.util.logging} with its default configuration sends every {@code System.Logger} line. Call
     * only when the {@link SimpleFormatter} format in force is {@link #FORMAT}, so that the lines stay the same.
     * Main thread, at start-up.
     */
    static void install()
    {
        for (final Handler handler : Logger.getLogger("").getHandlers())
        {
            if (handler instanceof ConsoleHandler && null != handler.getFormatter() &&
                handler.getFormatter().getClass() == SimpleFormatter.class)
            {
                handler.setFormatter(new LogLineFormatter());
            }
        }
    }

    @Override
    public String format(final LogRecord record)
    {
        final Instant instant = record.getInstant();
        final int millis = instant.getNano() / 1_000_000;
        final String second = secondText(instant.getEpochSecond());
        final String level = record.getLevel().getLocalizedName();
        final String loggerName = String.valueOf(record.getLoggerName());
        final String message = printable(String.valueOf(formatMessage(record)));
        final Throwable thrown = record.getThrown();
        final String trace = null == thrown ? "" : stackTrace(thrown);
        // Presized, and a StringBuilder rather than a string concatenation (see Connection.addressText).
        return new StringBuilder(second.length() + 3 + 1 + level.length() + 1 + loggerName.length() + 2 +
            message.length() + trace.length() + LINE_SEPARATOR.length())
            .append(second)
            .append((char)('0' + millis / 100)).append((char)('0' + millis / 10 % 10)).append((char)('0' + millis % 10))
            .append(' ').append(level).append(' ').append(loggerName).append(": ").append(message)
            .append(trace).append(LINE_SEPARATOR)
            .toString();
    }

    /**
     * The message with every control character but tab written as <code>&#92;xNN</code> (C0 and DEL) or
     * <code>&#92;u{XXXX}</code> (C1), so that no message can move the cursor of a terminal showing the log, or start a
     * line of its own. Names are escaped where they are written ({@link io.tern.transport.Protocol#escapeName}); this
     * is the net under every other text a log line may carry (an exception's message, say). A message without one is
     * returned as it is.
     */
    static String printable(final String message)
    {
        int i = 0;
        while (i < message.length() && !isControl(message.charAt(i)))
        {
            i++;
        }
        if (i == message.length())
        {
            return message;
        }
        final StringBuilder sb = new StringBuilder(message.length() + 16).append(message, 0, i);
        for (; i < message.length(); i++)
        {
            final char c = message.charAt(i);
            if (!isControl(c))
            {
                sb.append(c);
            }
            else if (c < 0x80)
            {
                sb.append("\\x").append(Character.forDigit(c >>> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            }
            else
            {
                sb.append("\\u{").append(Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)).append('}');
            }
        }
        return sb.toString();
    }

    private static boolean isControl(final char c)
    {
        return (c < 0x20 && c != '\t') || (c >= 0x7F && c <= 0x9F);
    }

    /** As {@link SimpleFormatter}: a line break, then the stack trace. */
    private static String stackTrace(final Throwable thrown)
    {
        final StringWriter trace = new StringWriter();
        try (PrintWriter writer = new PrintWriter(trace))
        {
            writer.println();
            thrown.printStackTrace(writer);
        }
        return trace.toString();
    }

    private String secondText(final long epochSecond)
    {
        Second cached = second;
        if (cached.epochSecond != epochSecond)
        {
            // Once a second at most: the time zone's rules (summer time) are looked up afresh each time.
            final ZonedDateTime time =
                ZonedDateTime.ofInstant(Instant.ofEpochSecond(epochSecond), ZoneId.systemDefault());
            cached = new Second(epochSecond, String.format("%1$tF %1$tT.", time));
            second = cached;
        }
        return cached.text;
    }
}
