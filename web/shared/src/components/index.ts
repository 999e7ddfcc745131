export { Button, IconButton } from './Button';
export { Dialog } from './Dialog';
export { Field, SelectField, TextField } from './Field';
export { Icon, type IconName } from './Icon';
export { Menu, type MenuEntry, type MenuItem } from './Menu';
export { SmsCounter, counterState, HUB_MAX_CHARS } from './SmsCounter';
export { Toasts, toast } from './Toasts';
export { LiveIndicator } from './LiveIndicator';
export { NoAccess } from './NoAccess';
