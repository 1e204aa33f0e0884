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
 * the caller's class (the format never shows the caller).
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
        final String message = String.valueOf(formatMessage(record));
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
