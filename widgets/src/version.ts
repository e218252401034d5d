/** The module name and version the kernel's widget state refers to ("tslens-widgets", "^0.1.0"). */
export const MODULE_NAME = "tslens-widgets";
export const MODULE_VERSION = "0.1.0";
