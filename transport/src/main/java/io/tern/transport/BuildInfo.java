/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What this build of tern is: its version and the git commit it was built from, read once from
 * {@code io/tern/transport/build-info.properties}, which the build fills in (transport/pom.xml). In the transport
 * module because every tool (broker, loadgen, client) depends on it, so they all report the same build.
 * <p>
 * A value the build could not know, such as the commit of a build made without {@code .git}, is {@value #UNKNOWN}.
 * Immutable: any thread.
 */
public final class BuildInfo
{
    /** A value the build did not know. */
    public static final String UNKNOWN = "unknown";
    /** Appended to the commit when the work tree the build came from had uncommitted changes. */
    public static final String DIRTY_SUFFIX = "-dirty";

    static final String RESOURCE = "build-info.properties";

    private static final BuildInfo CURRENT = load();

    private final String version;
    private final String commit;

    BuildInfo(final String version, final String commit)
    {
        this.version = version;
        this.commit = commit;
    }

    /** @return this build's version, e.g. {@code 0.1.0-SNAPSHOT}, or {@value #UNKNOWN}. */
    public static String version()
    {
        return CURRENT.version;
    }

    /**
     * @return the abbreviated git commit this build was made from, with {@value #DIRTY_SUFFIX} if its work tree had
     * uncommitted changes, or {@value #UNKNOWN}.
     */
    public static String commit()
    {
        return CURRENT.commit;
    }

    /**
     * @param tool the program's name, e.g. {@code tern-broker}.
     * @return the line {@code --version} prints: {@code tern-broker 0.1.0 (1a2b3c4d5e6f)}.
     */
    public static String versionLine(final String tool)
    {
        return tool + " " + version() + " (" + commit() + ")";
    }

    static BuildInfo load()
    {
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE))
        {
            return null == in ? new BuildInfo(UNKNOWN, UNKNOWN) : parse(in);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + RESOURCE, ex);
        }
    }

    static BuildInfo parse(final InputStream in) throws IOException
    {
        final Properties properties = new Properties();
        properties.load(in);
        final String commit = known(properties.getProperty("commit"));
        final boolean dirty = Boolean.parseBoolean(known(properties.getProperty("dirty")));
        return new BuildInfo(
            known(properties.getProperty("version")),
            UNKNOWN.equals(commit) || !dirty ? commit : commit + DIRTY_SUFFIX);
    }

    /** A property the build did not fill in is left as {@code ${name}} by Maven's filtering, or is empty. */
    private static String known(final String value)
    {
        return null == value || value.isBlank() || value.contains("${") ? UNKNOWN : value.strip();
    }

    String versionOfThis()
    {
        return version;
    }

    String commitOfThis()
    {
        return commit;
    }
}
