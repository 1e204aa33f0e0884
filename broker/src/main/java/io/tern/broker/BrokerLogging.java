/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The {@code log-level} and {@code log-file} settings, applied to {@code java.util.logging}, where every
 * {@code System.Logger} line of the broker (and Jetty's, through SLF4J) goes. Used only while the JVM runs with
 * java.util.logging's default configuration: a configuration of the user's own
 * ({@code -Djava.util.logging.config.file}) rules instead, and these settings are left unused.
 * <p>
 * The log file is opened for appending and written through after every line (no buffering: a line logged just before
 * a crash is in the file), in the same one-line format as the console. It is never rotated by the broker: logrotate's
 * {@code copytruncate} suits it, since every write goes to the end of the file. Main thread, at start-up and shutdown.
 */
final class BrokerLogging implements AutoCloseable
{
    /** The levels an operator picks from, and the java.util.logging level each stands for. */
    enum Level
    {
        /** Failures only. */
        ERROR(java.util.logging.Level.SEVERE),
        /** Failures, and what an operator should look at: slow consumers, refused admin requests. */
        WARNING(java.util.logging.Level.WARNING),
        /** And every connection's start and end. */
        INFO(java.util.logging.Level.INFO),
        /** And the libraries' detail (java.util.logging's FINE). */
        DEBUG(java.util.logging.Level.FINE),
        /** Everything (FINEST). */
        TRACE(java.util.logging.Level.FINEST);

        final java.util.logging.Level julLevel;

        Level(final java.util.logging.Level julLevel)
        {
            this.julLevel = julLevel;
        }
    }

    /** A handler that writes each record through to the file at once. */
    private static final class FileLogHandler extends StreamHandler
    {
        FileLogHandler(final OutputStream out)
        {
            super(out, new LogLineFormatter());
        }

        @Override
        public synchronized void publish(final LogRecord record)
        {
            super.publish(record);
            flush();
        }
    }

    private final Logger root;
    private final java.util.logging.Level previousLevel;
    private final Handler[] removed;
    private final FileLogHandler file;

    private BrokerLogging(final Logger root, final Handler[] removed, final FileLogHandler file)
    {
        this.root = root;
        this.previousLevel = root.getLevel();
        this.removed = removed;
        this.file = file;
    }

    /**
     * Sets the root logger's level and, with a log file, sends the log there instead of the console.
     *
     * @param root    the root logger ({@code Logger.getLogger("")}).
     * @param level   the lowest level logged.
     * @param logFile the file to append the log to, or null for the console (standard error).
     * @return what to close at shutdown: closes the file and puts the console back.
     * @throws IOException if the file cannot be opened for appending.
     */
    static BrokerLogging apply(final Logger root, final Level level, final Path logFile) throws IOException
    {
        FileLogHandler file = null;
        Handler[] removed = new Handler[0];
        if (null != logFile)
        {
            try
            {
                file = new FileLogHandler(new FileOutputStream(logFile.toFile(), true));
            }
            catch (final IOException ex)
            {
                throw new IOException("--" + Settings.LOG_FILE.name() + "=" + logFile + ": " + ex.getMessage(), ex);
            }
            file.setLevel(java.util.logging.Level.ALL); // the loggers' levels decide
            removed = java.util.Arrays.stream(root.getHandlers()).filter(h -> h instanceof ConsoleHandler)
                .toArray(Handler[]::new);
        }
        final BrokerLogging logging = new BrokerLogging(root, removed, file);
        for (final Handler console : removed)
        {
            root.removeHandler(console);
        }
        if (null != file)
        {
            root.addHandler(file);
        }
        root.setLevel(level.julLevel);
        for (final Handler handler : root.getHandlers())
        {
            // The console handler passes INFO and above by default: DEBUG and TRACE must reach it too.
            if (handler.getLevel().intValue() > level.julLevel.intValue())
            {
                handler.setLevel(level.julLevel);
            }
        }
        return logging;
    }

    /** Closes the log file and puts the console handlers and the previous level back. */
    @Override
    public void close()
    {
        if (null != file)
        {
            root.removeHandler(file);
            file.close();
        }
        for (final Handler console : removed)
        {
            root.addHandler(console);
        }
        root.setLevel(previousLevel);
    }
}
