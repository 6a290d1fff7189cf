/* placeholder replaced below */
typedef int config_placeholder;
