/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

import io.tern.transport.FirstLineVerifier;

/**
 * The credentials file as the broker checks logins against it: read at start-up, and again on {@link #reload()}
 * (SIGHUP) or when {@link #reloadIfChanged()} (the {@code credentials-watcher}) sees that it changed, so that a user
 * added with {@code adduser} can log in without a restart. A reload that fails (the file missing, unreadable,
 * malformed, or an entry above {@code auth-max-iterations}) keeps the credentials in force and says why; a login is
 * checked against one version of the file, never a mix.
 * <p>
 * {@link #verify} runs on the transport's {@code verifier-N} threads, several at once; {@link #reload()} on whichever
 * thread asks (the JVM's signal thread, the watcher), one at a time; the swap is one volatile write of an immutable
 * {@link CredentialsFile}.
 */
final class ReloadableCredentials implements FirstLineVerifier
{
    private static final System.Logger LOG = System.getLogger(ReloadableCredentials.class.getName());

    /** What tells that a file changed without reading it: modification time, size and identity (inode). */
    private record FileStamp(FileTime modified, long size, Object fileKey)
    {
        /** @return the file's stamp, following links; null if it cannot be read. */
        static FileStamp of(final Path file)
        {
            try
            {
                final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                return new FileStamp(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
            }
            catch (final IOException | RuntimeException ex)
            {
                return null;
            }
        }
    }

    private final Path file;
    private final int maxIterations;
    private volatile CredentialsFile current;
    /** The file's stamp when it was last read, successfully or not. Guarded by this. */
    private FileStamp loaded;
    /** The stamp {@link #reloadIfChanged()} saw at its previous look. Watcher thread only. */
    private FileStamp previousLook;

    /**
     * @param file          the credentials file.
     * @param maxIterations most PBKDF2 iterations an entry may have ({@code auth-max-iterations}).
     * @throws IOException if it cannot be read at start-up (the broker does not start).
     * @throws IllegalArgumentException if it is malformed or an entry has too many iterations.
     */
    ReloadableCredentials(final Path file, final int maxIterations) throws IOException
    {
        this.file = file;
        this.maxIterations = maxIterations;
        this.loaded = FileStamp.of(file);
        this.previousLook = loaded;
        this.current = CredentialsFile.load(file, maxIterations);
    }

    @Override
    public int verify(final byte[] line, final int offset, final int length)
    {
        return current.verify(line, offset, length);
    }

    /** @return the file read. */
    Path file()
    {
        return file;
    }

    /**
     * Reads the file again; on success later logins are checked against it, on failure the credentials in force stay.
     * One log line either way. Any thread.
     *
     * @return true if the file was read.
     */
    synchronized boolean reload()
    {
        // Stamped before reading: a change made while it is read shows as a difference at the next look.
        loaded = FileStamp.of(file);
        try
        {
            final CredentialsFile fresh = CredentialsFile.load(file, maxIterations);
            current = fresh;
            LOG.log(System.Logger.Level.INFO, "credentials reloaded from " + file + ": " + fresh.size() + " users");
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "credentials not reloaded from " + file + ": " + describe(ex) +
                "; the " + current.size() + " users read before stay in force");
            return false;
        }
    }

    /**
     * Looks at the file's stamp and reloads it if it differs from the one last read and has not changed since the
     * previous look: a file still being written (an editor saving in place) is read once it has settled, not half
     * way. A file that cannot be read, or fails to parse, is reported once per change, not at every look. The
     * {@code credentials-watcher} thread only.
     *
     * @return true if it reloaded the file, successfully or not.
     */
    boolean reloadIfChanged()
    {
        final FileStamp now = FileStamp.of(file);
        final FileStamp previous = previousLook;
        previousLook = now;
        synchronized (this)
        {
            if (Objects.equals(now, loaded) || !Objects.equals(now, previous))
            {
                return false;
            }
        }
        reload();
        return true;
    }

    private static String describe(final Exception ex)
    {
        if (ex instanceof java.nio.file.NoSuchFileException)
        {
            return "no such file";
        }
        if (ex instanceof java.nio.file.AccessDeniedException)
        {
            return "permission denied";
        }
        return null == ex.getMessage() ? ex.toString() : ex.getMessage();
    }
}
