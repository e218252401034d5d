/** Kernel-side widgets: the base class, standard controls, and display. */
export { Widget, camelName, wireName } from "./widget";
export type { Change } from "./widget";
export { display } from "./display";
export { Layout, Style } from "./controls/base";
export type { DOMWidgetOptions, DescriptionOptions, LayoutOptions } from "./controls/base";
export { IntSlider, FloatSlider } from "./controls/sliders";
export type { SliderOptions } from "./controls/sliders";
export { Text, Textarea, HTML } from "./controls/text";
export type { TextOptions } from "./controls/text";
export { Dropdown, Checkbox } from "./controls/choice";
export type { DropdownOptions, DropdownOption, CheckboxOptions } from "./controls/choice";
export { Button } from "./controls/button";
export type { ButtonOptions } from "./controls/button";
export { Output } from "./controls/output";
export { HBox, VBox } from "./controls/box";
export type { BoxOptions } from "./controls/box";
export { AttentionPatterns, attentionPatterns } from "./views/attentionPatterns";
export type { AttentionPatternsOptions } from "./views/attentionPatterns";
