/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.file.Path;

import io.tern.transport.FirstLineVerifier;

/**
 * The credentials file as the broker checks logins against it: read at start-up and again on
 * {@link #reload()} (SIGHUP), so that a user added with {@code adduser} can log in without a restart. A reload that
 * fails (the file missing, unreadable or malformed) keeps the credentials in force and says why; a login is checked
 * against one version of the file, never a mix.
 * <p>
 * {@link #verify} runs on the {@code authenticator} thread, {@link #reload()} on whichever thread asks (the JVM's
 * signal thread); the swap is one volatile write of an immutable {@link CredentialsFile}.
 */
final class ReloadableCredentials implements FirstLineVerifier
{
    private static final System.Logger LOG = System.getLogger(ReloadableCredentials.class.getName());

    private final Path file;
    private volatile CredentialsFile current;

    /**
     * @param file the credentials file.
     * @throws IOException if it cannot be read at start-up (the broker does not start).
     */
    ReloadableCredentials(final Path file) throws IOException
    {
        this.file = file;
        this.current = CredentialsFile.load(file);
    }

    @Override
    public int verify(final byte[] line, final int offset, final int length)
    {
        return current.verify(line, offset, length);
    }

    /**
     * Reads the file again; on success later logins are checked against it, on failure the credentials in force stay.
     * One log line either way.
     *
     * @return true if the file was read.
     */
    boolean reload()
    {
        try
        {
            final CredentialsFile fresh = CredentialsFile.load(file);
            current = fresh;
            LOG.log(System.Logger.Level.INFO, "credentials reloaded from " + file + ": " + fresh.size() + " users");
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "credentials not reloaded from " + file + ": " + ex.getMessage() +
                "; the " + current.size() + " users read before stay in force");
            return false;
        }
    }
}
