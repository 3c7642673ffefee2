/* Runs `cnb-lifecycle export` on the host for the integration test, until vmshim/lifecycle/main.c
 * dispatches `export` (its phases[] table takes another entry signature). */
#include "lib/lifecycle/export.h"

int main(int argc, char **argv)
{
	return cnb__export_main(argc, argv);
}
