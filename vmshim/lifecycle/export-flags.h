/* `cnb-lifecycle export`'s command line (the guest exporter itself is lib/lifecycle/exporter). */
#ifndef CNB_LIFECYCLE_EXPORT_FLAGS_H
#define CNB_LIFECYCLE_EXPORT_FLAGS_H

/*
 * Entry point of the `export` subcommand. argv[0] is the subcommand name; flags follow in the
 * reference lifecycle's style (-layers, -app, -group, -analyzed, -launcher, -process-type, -uid,
 * -gid, -out, -cache, -project-metadata). Prints errors to stderr and returns the exit code:
 * 0, 3 (usage), 11 (platform API), 62 (export error; platform.md "Exit Codes").
 */
int lc_export_main(int argc, char **argv);

#endif
