/* Runs `cnb-lifecycle export` on the host for the integration test, with the exporter's objects
 * from the internal library (cnb-lifecycle itself links the static guest archive). */
#include "vmshim/lifecycle/export-flags.h"

int main(int argc, char **argv)
{
	return lc_export_main(argc, argv);
}
