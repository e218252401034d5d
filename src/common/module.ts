/**
 * The frontend module of tslens's views, named once: the kernel writes it into every view's state,
 * the browser package registers its models and views under it, and widgets/package.json's name and
 * version are checked against it (widgets/check-module.js, run by the build, and a test).
 */

/** npm name of the browser package and ipywidgets module name of the views. */
export const MODULE_NAME = "tslens-widgets";

/** Version of the browser package (widgets/package.json) and of the module it registers. */
export const MODULE_VERSION = "0.1.0";

/** The semver range the kernel asks for in `_model_module_version` / `_view_module_version`. */
export const MODULE_VERSION_RANGE = `^${MODULE_VERSION}`;
