import '@smsgate/shared/styles/base.css';
import '@smsgate/shared/styles/frame.css';
import './styles/box.css';
import '@smsgate/shared/theme';
import { render } from 'preact';
import { App } from './app/App';

const root = document.getElementById('app');
if (root) render(<App />, root);
