/** The standard ipywidgets controls, kernel side (their views come with ipywidgets 8). */
export { Layout, Style } from "./base";
export type { DOMWidgetOptions, DescriptionOptions, LayoutOptions } from "./base";
export { IntSlider, FloatSlider } from "./sliders";
export type { SliderOptions } from "./sliders";
export { Text, Textarea, HTML } from "./text";
export type { TextOptions } from "./text";
export { Dropdown, Checkbox } from "./choice";
export type { DropdownOptions, DropdownOption, CheckboxOptions } from "./choice";
export { Button } from "./button";
export type { ButtonOptions } from "./button";
export { Output } from "./output";
export { FloatProgress, Label } from "./progress";
export type { FloatProgressOptions, LabelOptions } from "./progress";
export { HBox, VBox } from "./box";
export type { BoxOptions } from "./box";
