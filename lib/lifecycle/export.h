/*
 * `cnb-lifecycle export`: the guest half of the exporter (docs/export-protocol.md). It writes the
 * new layers as uncompressed reproducible tars plus out/export.json; the host hashes, compresses
 * and assembles the image.
 */
#ifndef CNB_LC_EXPORT_H
#define CNB_LC_EXPORT_H

/*
 * Entry point of the `export` subcommand. argv[0] is the subcommand name; flags follow in the
 * reference lifecycle's style (-layers, -app, -group, -analyzed, -launcher, -process-type, -uid,
 * -gid, -out, -cache, -project-metadata). Prints errors to stderr and returns the exit code of
 * the checklist's table: 0, 3 (usage), 11 (platform API), 62 (export error).
 */
int cnb__export_main(int argc, char **argv);

#endif
