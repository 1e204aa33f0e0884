/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BuildInfoTest
{
    @Test
    void shouldReportTheVersionTheBuildFilteredIn()
    {
        // The build fills in project.version; a resource left unfiltered would say "${project.version}" or unknown.
        assertTrue(BuildInfo.version().matches("\\d+\\.\\d+\\.\\d+.*"), BuildInfo.version());
        if (builtFromGitClone())
        {
            assertNotEquals(BuildInfo.UNKNOWN, BuildInfo.commit(), "built from a git clone, the commit is known");
            assertTrue(BuildInfo.commit().matches("[0-9a-f]{7,40}(" + BuildInfo.DIRTY_SUFFIX + ")?"),
                BuildInfo.commit());
        }
        else
        {
            assertEquals(BuildInfo.UNKNOWN, BuildInfo.commit(), "built without .git, e.g. from a source tarball");
        }
    }

    @Test
    void shouldPrintToolVersionAndCommit()
    {
        assertEquals("tern-broker " + BuildInfo.version() + " (" + BuildInfo.commit() + ")",
            BuildInfo.versionLine("tern-broker"));
    }

    @Test
    void shouldSayUnknownForWhatTheBuildDidNotFillIn() throws IOException
    {
        final BuildInfo info = parse("version=0.2.0\ncommit=${git.commit.id.abbrev}\ndirty=${git.dirty}\n");
        assertEquals("0.2.0", info.versionOfThis());
        assertEquals(BuildInfo.UNKNOWN, info.commitOfThis());

        final BuildInfo empty = parse("");
        assertEquals(BuildInfo.UNKNOWN, empty.versionOfThis());
        assertEquals(BuildInfo.UNKNOWN, empty.commitOfThis());
    }

    @Test
    void shouldMarkACommitBuiltWithUncommittedChanges() throws IOException
    {
        assertEquals("0123456789ab" + BuildInfo.DIRTY_SUFFIX,
            parse("version=0.2.0\ncommit=0123456789ab\ndirty=true\n").commitOfThis());
        assertEquals("0123456789ab", parse("version=0.2.0\ncommit=0123456789ab\ndirty=false\n").commitOfThis());
    }

    /** Surefire runs in the module's directory; the clone's .git is in it or above it. */
    private static boolean builtFromGitClone()
    {
        for (Path dir = Path.of("").toAbsolutePath(); null != dir; dir = dir.getParent())
        {
            if (Files.exists(dir.resolve(".git")))
            {
                return true;
            }
        }
        return false;
    }

    private static BuildInfo parse(final String text) throws IOException
    {
        return BuildInfo.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    }
}
